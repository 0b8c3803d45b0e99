"""Interactive figures computed from paperzoo's own code, for the documentation site.

Every function here returns a `plotly.graph_objects.Figure` built from paperzoo itself (the analyser,
the default-box generator, the matcher, the pooling op), never from hand-typed data except where it
shows a paper's printed numbers next to the computed ones. plotly is imported lazily: it is in the
`docs` extra, not a runtime dependency.

A page embeds a figure with a `plotly` fence whose body is the function's path:

    ```plotly
    paperzoo.figures.rfcn:position_sensitive_pooling
    ```

The figure becomes a `<div id="fig-rfcn-position-sensitive-pooling">` (ids are derived from the path,
so builds are reproducible) inside a numbered `<figure>`; a figure that fails to build fails `mkdocs build`.

Every figure function takes `lang` (`"en"` or `"zh"`, `LANGUAGES`; anything else is a `ValueError`)
and draws its titles, axes, legends and control labels in that language; a Chinese page asks for it
with `paperzoo.figures.ssd:matching?lang=zh`. Its module's `CAPTIONS[function][lang]` is the caption
under it: one sentence saying what to look for.

Available figures (fence body → what it shows):

- `paperzoo.figures.ssd:default_boxes`: the centres of one feature map over the 300×300 (or 512×512)
  input and the 4 or 6 default boxes of one cell; a preset menu (paper, caffe_voc, caffe_coco,
  torchvision, caffe_voc_512, caffe_coco_512), a feature-map slider and a cell slider.
- `paperzoo.figures.ssd:box_scales`: s_k and s'_k of every feature map, one line per preset.
- `paperzoo.figures.ssd:matching`: a `shapes` image and one of its ground-truth boxes at a time (a
  menu picks it), the SSD300 default box it claims first (its best IoU) and the others the matcher gives
  it (IoU ≥ 0.5); a toggle adds the hard negatives that 3:1 mining keeps (ranked by an untrained
  SSD300's confidence loss).
- `paperzoo.figures.mobilenet:separable_cost`: Mult-Adds of standard vs depthwise-separable convolution
  as D_K and N vary, and the 1/N + 1/D_K² curve with MobileNetV1's 13 separable layers measured.
- `paperzoo.figures.mobilenet:v1_width_resolution`: Mult-Adds and weights of the 16 width × resolution
  MobileNetV1 models (analyser) next to the values printed in Tables 6 and 7.
- `paperzoo.figures.mobilenet:v1_layer_types`: MobileNetV1 Table 2 (share of Mult-Adds and parameters
  per layer type), computed vs printed; flags the paper's 1.19 % (should be 1.91 %).
- `paperzoo.figures.mobilenet:v2_blocks`: MobileNetV2 per-block Mult-Adds, widest tensor and block
  input + output (the inverted residual's memory argument); buttons for α = 0.35 ... 1.4.
- `paperzoo.figures.rfcn:position_sensitive_pooling`: a RoI split into k×k bins, each coloured by the
  score-map group it reads, measured on `torchvision.ops.ps_roi_pool`; buttons for k = 3 and 7.
- `paperzoo.figures.rfcn:k_ablation`: the paper's Table 2 (mAP by pooling grid) with the number of
  score maps each grid needs.
- `paperzoo.figures.zoo:all_models`: parameters vs Mult-Adds of every registered model (from the
  registry, counted by the analyser), coloured by task.
"""

from paperzoo.figures._style import LANGUAGES, check_language

__all__ = ["LANGUAGES", "check_language"]
