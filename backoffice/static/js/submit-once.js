// Forms marked data-submit-once are sent once: a second click while the first request is on its way (a
// double-click on "Save and submit") is ignored, so one order is not written and bought twice. The server still
// checks everything; this only spares the coordinator a duplicate. No inline script: the CSP allows only files.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-submit-once]");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", function (event) {
      var form = event.currentTarget;
      if (form.getAttribute("data-sent")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sent", "1");
      form.classList.add("form-sending");
    });
  }
  // Back from the next page (the browser's page cache): the form may be used again.
  window.addEventListener("pageshow", function () {
    for (var j = 0; j < forms.length; j++) {
      forms[j].removeAttribute("data-sent");
      forms[j].classList.remove("form-sending");
    }
  });
})();
