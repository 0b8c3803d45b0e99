// Chinese search queries, segmented into words before Material's search worker sees them.
//
// When jieba is installed, Material's search plugin segments the Chinese text of the index into words
// separated by zero-width spaces (U+200B), and the `separator` in mkdocs.yml splits on them. A query is
// not segmented: "默认框" stayed one term that no indexed word ("默认", "框") starts with, so Chinese
// queries of more than one word found nothing. This script splits the Han runs of each query into
// words with the browser's own segmenter (Intl.Segmenter; single characters where it is missing)
// before the query is posted to the worker (message type 2 is Material's QUERY). Nothing else changes:
// the text in the search box stays as typed.
(() => {
  const QUERY = 2;
  const HAN = /\p{Script=Han}+/gu;
  const segmenter =
    typeof Intl !== "undefined" && "Segmenter" in Intl
      ? new Intl.Segmenter("zh", { granularity: "word" })
      : null;
  const words = (run) =>
    segmenter
      ? Array.from(segmenter.segment(run), (part) => part.segment).filter((word) => word.trim())
      : Array.from(run);
  const segment = (query) => query.replace(HAN, (run) => ` ${words(run).join(" ")} `).trim();
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message && message.type === QUERY && typeof message.data === "string" && HAN.test(message.data)) {
      HAN.lastIndex = 0;
      message = { ...message, data: segment(message.data) };
    }
    HAN.lastIndex = 0;
    return post.call(this, message, ...rest);
  };
})();
