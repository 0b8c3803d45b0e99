// paperzoo: recolour the Plotly figures of a page when Material's light/dark toggle changes.
// Material writes the scheme to <body data-md-color-scheme="default|slate">; figures are built with
// transparent backgrounds, so only text, grid and control colours follow the scheme.
(function () {
  "use strict";
  var THEMES = {
    light: {
      text: "rgba(0, 0, 0, 0.87)",
      grid: "rgba(0, 0, 0, 0.12)",
      line: "rgba(0, 0, 0, 0.38)",
      control: "#f5f5f5",
      controlBorder: "rgba(0, 0, 0, 0.26)",
    },
    dark: {
      text: "rgba(226, 228, 233, 0.87)",
      grid: "rgba(226, 228, 233, 0.14)",
      line: "rgba(226, 228, 233, 0.38)",
      control: "#e0e0e0",
      controlBorder: "rgba(226, 228, 233, 0.38)",
    },
  };

  function currentTheme() {
    var scheme = document.body.getAttribute("data-md-color-scheme");
    return scheme === "slate" ? THEMES.dark : THEMES.light;
  }

  function themeUpdate(plot, theme) {
    var layout = plot.layout || {};
    var update = {
      "font.color": theme.text,
      paper_bgcolor: "rgba(0, 0, 0, 0)",
      plot_bgcolor: "rgba(0, 0, 0, 0)",
      "legend.font.color": theme.text,
    };
    Object.keys(layout).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        update[key + ".gridcolor"] = theme.grid;
        update[key + ".zerolinecolor"] = theme.line;
        update[key + ".linecolor"] = theme.line;
      }
    });
    // Plotly draws the active menu button in a fixed near-white, so buttons keep dark text on a
    // light face in both schemes; slider labels sit on the page and follow the scheme.
    (layout.updatemenus || []).forEach(function (_, i) {
      update["updatemenus[" + i + "].bgcolor"] = theme.control;
      update["updatemenus[" + i + "].bordercolor"] = theme.controlBorder;
      update["updatemenus[" + i + "].font.color"] = "rgba(0, 0, 0, 0.87)";
    });
    (layout.sliders || []).forEach(function (_, i) {
      update["sliders[" + i + "].font.color"] = theme.text;
      update["sliders[" + i + "].currentvalue.font.color"] = theme.text;
      update["sliders[" + i + "].bordercolor"] = theme.controlBorder;
    });
    // Annotations without a colour of their own follow the scheme; remember which on the first pass.
    if (!plot.paperzooThemedAnnotations) {
      plot.paperzooThemedAnnotations = (layout.annotations || []).map(function (annotation) {
        return !annotation.font || !annotation.font.color;
      });
    }
    plot.paperzooThemedAnnotations.forEach(function (themed, i) {
      if (themed) {
        update["annotations[" + i + "].font.color"] = theme.text;
      }
    });
    return update;
  }

  function recolourAll() {
    if (!window.Plotly) {
      return;
    }
    var theme = currentTheme();
    document.querySelectorAll(".paperzoo-figure .js-plotly-plot").forEach(function (plot) {
      window.Plotly.relayout(plot, themeUpdate(plot, theme));
    });
  }

  new MutationObserver(recolourAll).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-md-color-scheme"],
  });
  recolourAll();
})();
