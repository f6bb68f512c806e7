// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form.submit());
  });
  const toggle = document.querySelector("[data-toggle-nav]");
  if (toggle) {
    toggle.addEventListener("click", () => {
      const nav = document.getElementById(toggle.getAttribute("aria-controls"));
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }

  // A form came back with errors: bring its summary into view and give it focus, so a screen
  // reader reads it and Tab continues from there. Its links move focus to the field itself.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
    summary.querySelectorAll("a[href^='#']").forEach((link) => {
      link.addEventListener("click", (event) => {
        const field = document.getElementById(link.getAttribute("href").slice(1));
        if (!field) return;
        event.preventDefault();
        const input = field.matches("input, select, textarea") ? field : field.querySelector("input, select, textarea");
        (input || field).focus();
        field.scrollIntoView({ block: "center" });
      });
    });
  }

  // "Select all" ticks every row box it names (data-select-all="<checkbox name>") and follows
  // them: checked when all are, mixed when some are. Without JavaScript the server reads the
  // box itself as "every record on this page".
  document.querySelectorAll("[data-select-all]").forEach((all) => {
    const boxes = () => all.form.querySelectorAll(`input[type="checkbox"][name="${all.dataset.selectAll}"]`);
    all.addEventListener("change", () => {
      boxes().forEach((box) => { box.checked = all.checked; });
      all.indeterminate = false;
    });
    all.form.addEventListener("change", (event) => {
      if (event.target === all || event.target.name !== all.dataset.selectAll) return;
      const list = Array.from(boxes());
      const ticked = list.filter((box) => box.checked).length;
      all.checked = ticked === list.length;
      all.indeterminate = ticked > 0 && ticked < list.length;
    });
  });
});
