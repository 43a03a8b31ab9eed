// "Select every case on this page" in the queue's table header: ticks or clears the rows' boxes (the
// checkboxes of the bulk-action form named in data-select-all). Without scripts the box stays hidden:
// "every case in this view" in the action bar does the same and more, with no script at all.
(() => {
  for (const wrapper of document.querySelectorAll("[data-select-all-control]")) {
    const toggle = wrapper.querySelector("input[data-select-all]");
    if (!toggle) continue;
    const formId = toggle.getAttribute("data-select-all");
    const boxes = () =>
      [...document.querySelectorAll('input[type="checkbox"][name="case"]')].filter(
        (box) => box.getAttribute("form") === formId,
      );
    const reflect = () => {
      const all = boxes();
      const ticked = all.filter((box) => box.checked).length;
      toggle.checked = all.length > 0 && ticked === all.length;
      toggle.indeterminate = ticked > 0 && ticked < all.length;
    };
    wrapper.hidden = false;
    toggle.addEventListener("change", () => {
      for (const box of boxes()) box.checked = toggle.checked;
    });
    document.addEventListener("change", (event) => {
      if (event.target !== toggle && boxes().includes(event.target)) reflect();
    });
    reflect();
  }
})();
