/* Vigie (issue 16): a text cut by the page's styles (a list cell, a breadcrumb, a long title) shows its
   full text on hover. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("#content, #main, body").forEach(function (root) {
    root.querySelectorAll("td, th, a, span, div, h1, h2, p").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1 && !el.closest("[title]") && getComputedStyle(el).overflowX === "hidden") {
        var text = (el.innerText || "").trim();
        if (text) el.setAttribute("title", text);
      }
    });
  });
});
