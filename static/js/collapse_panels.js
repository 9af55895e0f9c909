// Collapsible case panels: each card with a heading gets a "Collapse" / "Expand"
// button after its heading (aria-expanded, aria-controls; described by the heading);
// what a user collapsed is remembered per user and panel in localStorage. Without
// JavaScript every panel simply stays open.
(function () {
  "use strict";
  var root = document.querySelector("[data-collapse-panels]");
  if (!root) return;
  var storeKey = "akrites:collapsed:" + root.getAttribute("data-collapse-panels");
  var collapsed = {};
  try { collapsed = JSON.parse(window.localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { collapsed = {}; }
  function save() {
    try { window.localStorage.setItem(storeKey, JSON.stringify(collapsed)); } catch (e) { /* storage off */ }
  }
  root.querySelectorAll("section.card[aria-labelledby]").forEach(function (panel) {
    var id = panel.getAttribute("aria-labelledby");
    var heading = document.getElementById(id);
    if (!heading || heading.parentElement !== panel) return;
    var body = document.createElement("div");
    body.className = "panel-body";
    body.id = id + "-body";
    while (heading.nextSibling) body.appendChild(heading.nextSibling);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "panel-toggle";
    button.setAttribute("aria-controls", body.id);
    button.setAttribute("aria-describedby", id);
    panel.classList.add("collapsible");
    panel.appendChild(button);
    panel.appendChild(body);
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? "Collapse" : "Expand";
      body.hidden = !open;
      panel.classList.toggle("collapsed", !open);
    }
    show(!collapsed[id]);
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      show(open);
      if (open) delete collapsed[id]; else collapsed[id] = true;
      save();
    });
  });
})();
