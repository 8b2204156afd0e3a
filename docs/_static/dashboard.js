// Filters of the reproduction dashboard: by package, by quick verdict, by full verdict.
document.addEventListener("DOMContentLoaded", function () {
  const board = document.querySelector(".nz-dashboard");
  if (!board) { return; }
  const selects = {
    package: document.getElementById("nz-filter-package"),
    quick: document.getElementById("nz-filter-quick"),
    full: document.getElementById("nz-filter-full"),
  };
  const shown = document.getElementById("nz-shown");
  function apply() {
    let n = 0;
    board.querySelectorAll("tr.nz-claim").forEach(function (row) {
      const ok = Object.keys(selects).every(function (key) {
        const want = selects[key].value;
        return !want || row.dataset[key] === want;
      });
      row.style.display = ok ? "" : "none";
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  Object.values(selects).forEach(function (s) { s.addEventListener("change", apply); });
  apply();
});
