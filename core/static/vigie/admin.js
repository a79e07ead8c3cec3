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

/* Vigie (issue 18): what axe-core finds missing in the widgets of Django's admin and django-unfold, for screen
   readers. Run on load and again when a widget changes the page (select2 opens its search, an inline adds a
   row): each fix is idempotent, so the observer's own changes end there.
   - an autocomplete field (select2): its box and its search field named after the field's label, the search
     field as "Search: <label>" (translated: the header's data-vigie-search-field); the open box says which
     list it controls; its "clear" cross is kept out of the list of chosen values (a list holds items only);
   - a field of a tabular inline row: named after its column (the cell's data-label), as it has no <label>;
   - the icons of the two-list selector carry their text as images (an aria-label needs a role);
   - the page's tools beside the title (<li> items in a <div>, among plain links): wrappers, not list items. */
(function () {
  function setAttr(el, name, value) {
    if (value && el.getAttribute(name) !== value) el.setAttribute(name, value);
  }
  function labelOf(field) {
    if (!field || !field.id) return "";
    var label = document.querySelector('label[for="' + CSS.escape(field.id) + '"]');
    if (label) return label.textContent.replace(/\s+/g, " ").replace(/[\s:*]+$/, "").trim();
    var cell = field.closest("td[data-label]");  // a tabular inline's field: its column
    return cell ? cell.getAttribute("data-label") : "";
  }
  function fix() {
    var holder = document.querySelector("[data-vigie-search-label]");
    var search = holder ? holder.getAttribute("data-vigie-search-label") : "Search";
    // "Search: {field}" in the page's language ("Rechercher : {field}" in French, its spacing included)
    var searchField = (holder && holder.getAttribute("data-vigie-search-field")) || search + ": {field}";
    function searchLabel(label) {
      return label ? searchField.replace("{field}", label) : search;
    }
    var owners = {};
    document.querySelectorAll("span.select2").forEach(function (container) {
      var select = container.previousElementSibling;
      var label = select && select.tagName === "SELECT" ? labelOf(select) : "";
      var box = container.querySelector(".select2-selection");
      if (!box) return;
      setAttr(box, "aria-label", label);
      var rendered = box.querySelector(".select2-selection__rendered");
      if (rendered && rendered.getAttribute("role") === "textbox") setAttr(rendered, "aria-label", label);
      var owns = box.getAttribute("aria-owns");
      if (owns) {
        setAttr(box, "aria-controls", owns);
        owners[owns] = label;
      }
      var clear = box.querySelector("ul > .select2-selection__clear");
      if (clear && rendered) box.insertBefore(clear, rendered);
      container.querySelectorAll(".select2-search__field").forEach(function (field) {
        setAttr(field, "aria-label", searchLabel(label));
      });
    });
    document.querySelectorAll(".select2-dropdown .select2-search__field").forEach(function (field) {
      var label = owners[field.getAttribute("aria-controls")] || "";
      setAttr(field, "aria-label", searchLabel(label));
    });
    document.querySelectorAll("td[data-label]").forEach(function (cell) {
      cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (field) {
        if (!field.labels.length && !field.hasAttribute("aria-labelledby")) setAttr(field, "aria-label", cell.getAttribute("data-label"));
      });
    });
    document.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
    document.querySelectorAll("li:not([role])").forEach(function (item) {
      var parent = item.parentElement;
      if (parent && !/^(UL|OL|MENU)$/.test(parent.tagName) && !parent.hasAttribute("role")) item.setAttribute("role", "none");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    fix();
    new MutationObserver(fix).observe(document.body, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["aria-owns", "aria-expanded"],
    });
  });
})();
