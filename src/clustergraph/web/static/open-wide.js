// Panels that sit beside or above the content on a wide screen but would push it out of the first screen of a
// phone (browse facets, a network's view options) are <details class="open-wide">: closed on a phone, opened
// here on a wider screen. Without this script they stay closed and open with a tap.
(function () {
  "use strict";
  if (!window.matchMedia("(min-width: 761px)").matches) return;
  document.querySelectorAll("details.open-wide").forEach(function (panel) { panel.open = true; });
})();
