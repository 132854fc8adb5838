/* Clerk workbench: progressive enhancement only; every page works without this file. */
(function () {
  "use strict";
  // "In" prints the form shown in the frame (a same-origin PDF); without scripts, "Mở tệp PDF" does.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print-frame]");
    if (!button) return;
    var frame = document.getElementById(button.getAttribute("data-print-frame"));
    try {
      frame.contentWindow.focus();
      frame.contentWindow.print();
    } catch (e) {
      window.open(frame.src, "_blank", "noopener");
    }
  });
})();
