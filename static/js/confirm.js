// Ask before destructive actions: <form data-confirm="Remove X?">. Works without
// JavaScript too (the form just submits); no inline handlers, so a strict CSP holds.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
