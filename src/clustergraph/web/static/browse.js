// Browse lists: the facets sit in a <details> that is closed on a phone and open beside the table on a wider
// screen. Without this script they stay closed and open with a tap.
(function () {
  "use strict";
  var facets = document.getElementById("facets");
  if (facets && window.matchMedia("(min-width: 761px)").matches) facets.open = true;
})();
