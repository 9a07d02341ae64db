// The live floor: its panel refreshes every 5 seconds, which would wipe an alert's form while the supervisor is
// choosing an agent or typing a notice; the refresh waits until they are done (the answer to their action
// brings the floor as it is then).
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (event) {
    const panel = document.getElementById("live-panel");
    if (!panel || event.detail.elt !== panel) return;
    const active = document.activeElement;
    const choosing = active && panel.contains(active) && active.closest("form");
    const typed = Array.from(panel.querySelectorAll("input[name=text]")).some(function (input) {
      return input.value.trim() !== "";
    });
    if (choosing || typed) event.preventDefault();
  });
})();
