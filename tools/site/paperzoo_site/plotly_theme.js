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

  // Figures put their legend at the bottom of the figure (paperzoo/figures/_style.py, legend_below). On
  // a narrow screen it wraps onto more rows than the bottom margin holds: grow the margin until the
  // legend clears the x axes' labels and any slider under the plot.
  function clearLegend(plot) {
    var legend = plot.querySelector(".legend");
    var layout = plot._fullLayout;
    if (!legend || !layout || !layout.legend || layout.legend.yref !== "container") {
      return;
    }
    var above = plot.querySelectorAll(".xtick text, [class^='g-x'][class$='title'], .slider-container");
    var bottom = -Infinity;
    above.forEach(function (element) {
      bottom = Math.max(bottom, element.getBoundingClientRect().bottom);
    });
    var overlap = bottom + 6 - legend.getBoundingClientRect().top;
    if (overlap > 1) {
      window.Plotly.relayout(plot, { "margin.b": layout.margin.b + Math.ceil(overlap) });
    }
  }

  function clearAllLegends() {
    document.querySelectorAll(".paperzoo-figure .js-plotly-plot").forEach(function (plot) {
      if (!plot.paperzooLegendWatched && plot.on) {
        plot.paperzooLegendWatched = true;
        plot.on("plotly_afterplot", function () {
          clearLegend(plot);
        });
      }
      clearLegend(plot);
    });
  }

  new MutationObserver(recolourAll).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-md-color-scheme"],
  });
  recolourAll();
  if (window.Plotly) {
    clearAllLegends();
  }
})();
