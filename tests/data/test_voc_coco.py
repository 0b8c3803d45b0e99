"""Pascal VOC and COCO loaders on small fixtures written to a temporary folder, and their bad input."""

import json

import pytest
import torch
from PIL import Image

from paperzoo.data import COCODetection, VOCDetection, dataset_from_spec

VOC_XML = """<annotation>
  <filename>{id}.jpg</filename>
  <size><width>40</width><height>30</height><depth>3</depth></size>
  {objects}
</annotation>"""
VOC_OBJECT = """<object><name>{name}</name><difficult>{difficult}</difficult>
  <bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>"""


def write_voc(root, objects_per_image, image_set="trainval"):
    base = root / "VOCdevkit" / "VOC2007"
    for folder in ("Annotations", "ImageSets/Main", "JPEGImages"):
        (base / folder).mkdir(parents=True, exist_ok=True)
    ids = [f"{i:06d}" for i in range(len(objects_per_image))]
    (base / "ImageSets" / "Main" / f"{image_set}.txt").write_text("\n".join(ids) + "\n")
    for image_id, objects in zip(ids, objects_per_image, strict=True):
        xml = VOC_XML.format(id=image_id, objects="".join(VOC_OBJECT.format(**o) for o in objects))
        (base / "Annotations" / f"{image_id}.xml").write_text(xml)
        Image.new("RGB", (40, 30), (128, 128, 128)).save(base / "JPEGImages" / f"{image_id}.jpg")
    return base


def test_voc_parses_boxes_labels_and_difficult(tmp_path):
    write_voc(tmp_path, [[dict(name="dog", difficult=0, x1=1, y1=2, x2=10, y2=20),
                          dict(name="person", difficult=1, x1=5, y1=5, x2=30, y2=25)]])  # fmt: skip
    image, target = VOCDetection(tmp_path)[0]
    assert image.shape == (3, 30, 40) and abs(float(image.mean()) - 128 / 255) < 0.01
    torch.testing.assert_close(target["boxes"], torch.tensor([[0.0, 1, 10, 20], [4, 4, 30, 25]]))
    assert target["labels"].tolist() == [12, 15]  # dog, person in VOC_CLASSES order (1-based)
    assert target["difficult"].tolist() == [False, True]
    without = VOCDetection(tmp_path / "VOCdevkit", keep_difficult=False)[0][1]
    assert without["labels"].tolist() == [12]


def test_voc_clips_box_outside_the_image_with_a_warning(tmp_path):
    write_voc(tmp_path, [[dict(name="cat", difficult=0, x1=1, y1=1, x2=45, y2=20)]])
    with pytest.warns(UserWarning, match=r"000000\.xml: clipped boxes \[0\]"):
        dataset = VOCDetection(tmp_path)
    assert dataset[0][1]["boxes"].tolist() == [[0.0, 0.0, 40.0, 20.0]]


def test_voc_bad_input_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no Pascal VOC 2007 folder"):
        VOCDetection(tmp_path / "missing")
    base = write_voc(tmp_path, [[dict(name="cat", difficult=0, x1=1, y1=1, x2=5, y2=5)]] * 2)
    (base / "Annotations" / "000001.xml").write_text("<annotation><size>")
    with pytest.raises(ValueError, match=r"000001\.xml is not well-formed XML"):
        VOCDetection(tmp_path)
    (base / "Annotations" / "000001.xml").write_text(VOC_XML.format(id=1, objects=VOC_OBJECT.format(
        name="unicorn", difficult=0, x1=1, y1=1, x2=5, y2=5)))  # fmt: skip
    with pytest.raises(ValueError, match=r"000001\.xml: unknown class 'unicorn'"):
        VOCDetection(tmp_path)
    (base / "Annotations" / "000001.xml").unlink()
    with pytest.raises(FileNotFoundError, match=r"000001\.xml \(listed in .*trainval\.txt\) does not exist"):
        VOCDetection(tmp_path)


def test_voc_undecodable_image_names_the_file(tmp_path):
    base = write_voc(tmp_path, [[dict(name="cat", difficult=0, x1=1, y1=1, x2=5, y2=5)]])
    (base / "JPEGImages" / "000000.jpg").write_bytes(b"not a jpeg")
    dataset = VOCDetection(tmp_path)
    with pytest.raises(ValueError, match=r"000000\.jpg could not be decoded"):
        dataset[0]


def write_coco(root, annotations, split="val2017"):
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    (root / split).mkdir(exist_ok=True)
    Image.new("RGB", (30, 20)).save(root / split / "a.png")
    data = {
        "images": [{"id": 7, "file_name": "a.png", "height": 20, "width": 30}],
        "categories": [{"id": 18, "name": "dog"}, {"id": 1, "name": "person"}],
        "annotations": annotations,
    }
    path = root / "annotations" / f"instances_{split}.json"
    path.write_text(json.dumps(data))
    return path


def test_coco_maps_sparse_category_ids_and_xywh_boxes(tmp_path):
    write_coco(tmp_path, [
        {"id": 1, "image_id": 7, "category_id": 18, "bbox": [2, 3, 10, 5], "area": 50, "iscrowd": 0},
        {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 4, 4], "area": 16, "iscrowd": 1},
    ])  # fmt: skip
    dataset = dataset_from_spec(f"coco:{tmp_path}", "val")
    assert dataset.classes == ("person", "dog") and dataset.num_classes == 3
    image, target = dataset[0]
    assert image.shape == (3, 20, 30)
    assert target["boxes"].tolist() == [[2.0, 3.0, 12.0, 8.0]]  # the crowd box is left out
    assert target["labels"].tolist() == [2] and int(target["image_id"]) == 7
    assert dataset.annotation(0)["iscrowd"].tolist() == [False, True]


def test_coco_bad_input_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="COCO dataset folder .* does not exist"):
        dataset_from_spec(f"coco:{tmp_path / 'missing'}", "val")
    path = write_coco(tmp_path, [])
    path.write_text('{"images": [')
    with pytest.raises(ValueError, match=r"instances_val2017\.json is not valid JSON"):
        COCODetection(tmp_path / "val2017", path)
    path.write_text('{"images": []}')
    with pytest.raises(
        ValueError, match=r"is not COCO instances JSON \(missing \['annotations', 'categories'\]\)"
    ):
        COCODetection(tmp_path / "val2017", path)
    write_coco(
        tmp_path, [{"id": 1, "image_id": 7, "category_id": 18, "bbox": [25, 15, 10, 10], "iscrowd": 0}]
    )
    with pytest.warns(UserWarning, match=r"image id 7\): clipped boxes \[0\]"):
        assert COCODetection(tmp_path / "val2017", path)[0][1]["boxes"].tolist() == [[25.0, 15.0, 30.0, 20.0]]
