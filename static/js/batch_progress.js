// Keeps the page of a batch being processed current (templates/cases/batch_detail.html):
// every few seconds it fetches the page again and copies its parts in place
// (data-batch-part, the <progress>), so focus and scroll stay put and the aria-live
// counts are read out. A meta refresh would reload the whole page under the reader
// (axe: meta-refresh, WCAG 2.2.1). Stops when the batch is done or the page cannot be
// had; without JavaScript the page offers a reload link.
(function () {
  var status = document.getElementById("batch-status");
  if (!status || !status.dataset.refreshSeconds) {
    return;
  }
  var delay = Number(status.dataset.refreshSeconds) * 1000;

  function apply(fresh) {
    document.querySelectorAll("[data-batch-part]").forEach(function (part) {
      var next = fresh.getElementById(part.id);
      if (next && next.innerHTML !== part.innerHTML) {
        part.innerHTML = next.innerHTML;
      }
    });
    var bar = document.getElementById("batch-progress");
    var nextBar = fresh.getElementById("batch-progress");
    if (bar && nextBar) {
      bar.setAttribute("max", nextBar.getAttribute("max"));
      bar.setAttribute("value", nextBar.getAttribute("value"));
      bar.textContent = nextBar.textContent;
    }
    var nextStatus = fresh.getElementById("batch-status");
    return Boolean(nextStatus && nextStatus.dataset.refreshSeconds);
  }

  function update() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (apply(new DOMParser().parseFromString(html, "text/html"))) {
          window.setTimeout(update, delay);
        } else {
          delete status.dataset.refreshSeconds;
        }
      })
      .catch(function () {
        // Signed out, gone or offline: stop; the reload link is still there.
      });
  }

  window.setTimeout(update, delay);
})();
