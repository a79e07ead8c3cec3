/* Vigie (issue 16): a list cell whose text is cut by admin.css shows its full text on hover. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("#result_list td").forEach(function (cell) {
    if (cell.scrollWidth > cell.clientWidth && !cell.getAttribute("title")) {
      cell.setAttribute("title", cell.innerText.trim());
    }
  });
});
