// Zoom and rotation for an image in the evidence viewer (views/staff/cases/evidence-viewer.njk). Without
// this script the page shows the image fitted to its column, which is all a plain link needs.
//
// Strict CSP: no inline style is written. The image's size and turn are CSS custom properties set
// through CSSOM (element.style.setProperty, which a policy without 'unsafe-inline' allows), read by
// static/css/app.css. The canvas takes the turned, zoomed image's bounding box, so the stage scrolls
// to every part of it. The zoom level is said in the catalog's words (data-viewer-messages).
(() => {
  const ZOOM_STEPS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4];
  const FIT = 2; // the index of 1 (fitted to the column)

  function enhance(stage) {
    const canvas = stage.querySelector("[data-evidence-viewer-canvas]");
    const image = stage.querySelector("[data-evidence-viewer-image]");
    const toolbar = stage.parentElement?.querySelector("[data-evidence-viewer-toolbar]");
    const status = toolbar?.querySelector("[data-viewer-status]");
    if (!canvas || !image || !toolbar || !status) return;
    const messages = JSON.parse(toolbar.dataset.viewerMessages ?? "{}");
    const percent = new Intl.NumberFormat(messages.locale, { style: "percent" });
    const degrees = new Intl.NumberFormat(messages.locale);

    let zoomIndex = FIT;
    let rotation = 0;

    function draw() {
      if (!image.naturalWidth || !image.naturalHeight) return;
      const isTurned = rotation % 180 !== 0;
      // At 100 % the image, turned as it is, fits the stage's width (never enlarged past its own size).
      const fittedWidth = isTurned ? image.naturalHeight : image.naturalWidth;
      const fit = Math.min(1, stage.clientWidth / fittedWidth);
      const zoom = ZOOM_STEPS[zoomIndex];
      const width = image.naturalWidth * fit;
      const height = image.naturalHeight * fit;
      const boxWidth = (isTurned ? height : width) * zoom;
      const boxHeight = (isTurned ? width : height) * zoom;
      image.style.setProperty("--viewer-width", `${width}px`);
      image.style.setProperty("--viewer-zoom", String(zoom));
      image.style.setProperty("--viewer-rotation", `${rotation}deg`);
      canvas.style.setProperty("--viewer-box-width", `${boxWidth}px`);
      canvas.style.setProperty("--viewer-box-height", `${boxHeight}px`);
      status.textContent = (rotation ? messages.zoomedAndTurned : messages.zoomed)
        .replace("{percent}", percent.format(zoom))
        .replace("{degrees}", degrees.format(rotation));
      toolbar.querySelector('[data-viewer-action="zoom-out"]').disabled = zoomIndex === 0;
      toolbar.querySelector('[data-viewer-action="zoom-in"]').disabled = zoomIndex === ZOOM_STEPS.length - 1;
    }

    const actions = {
      "zoom-in": () => {
        zoomIndex = Math.min(zoomIndex + 1, ZOOM_STEPS.length - 1);
      },
      "zoom-out": () => {
        zoomIndex = Math.max(zoomIndex - 1, 0);
      },
      "rotate-left": () => {
        rotation = (rotation + 270) % 360;
      },
      "rotate-right": () => {
        rotation = (rotation + 90) % 360;
      },
      reset: () => {
        zoomIndex = FIT;
        rotation = 0;
      },
    };

    toolbar.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("[data-viewer-action]") : null;
      const action = button ? actions[button.dataset.viewerAction] : undefined;
      if (!action) return;
      action();
      draw();
    });

    function start() {
      stage.classList.add("evidence-viewer__stage--enhanced");
      toolbar.hidden = false;
      draw();
      // The column's width changes with the window: the fitted size follows it.
      window.addEventListener("resize", draw);
    }

    if (image.complete && image.naturalWidth) start();
    else image.addEventListener("load", start, { once: true });
  }

  for (const stage of document.querySelectorAll("[data-evidence-viewer-stage]")) enhance(stage);
})();
