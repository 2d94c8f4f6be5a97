// The page's only script (no library): drag and drop onto the upload
// form, and the progress bar of a run. Everything works without it too.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload-form");
  if (form) dropzone(form);
  const box = document.getElementById("progress");
  if (box && box.dataset.status === "running") follow(box);
  else if (box) draw(box, null);
});

function dropzone(form) {
  const drop = document.getElementById("drop");
  const input = document.getElementById("book-file");
  const max = Number(form.dataset.max);
  const send = () => {
    const f = input.files[0];
    if (!f) return;
    if (f.size > max) { alert(form.dataset.tooBig); return; }
    const b = document.getElementById("upload-button");
    b.textContent = b.dataset.busy; b.disabled = true;
    form.submit();
  };
  ["dragenter", "dragover"].forEach((e) => drop.addEventListener(e, (ev) => {
    ev.preventDefault(); drop.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((e) => drop.addEventListener(e, (ev) => {
    ev.preventDefault(); drop.classList.remove("over");
  }));
  drop.addEventListener("drop", (ev) => {
    if (ev.dataTransfer.files.length) {
      input.files = ev.dataTransfer.files;
      send();
    }
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); send(); });
}

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, k) => values[k]);
}

function draw(box, state) {
  const labels = JSON.parse(box.dataset.labels);
  const stages = box.dataset.stages.split(",");
  const p = (state && state.progress) || {};
  const stage = p.stage || "queued";
  document.getElementById("stage").textContent = labels[stage] || stage;
  let share = (stages.indexOf(stage) + 1) / stages.length;
  if (stage === "solve" && p.total) {
    share = (stages.indexOf("solve") + p.done / p.total) / stages.length;
  }
  document.getElementById("bar-stage").style.width = `${100 * share}%`;
  const lines = [];
  // The figures are those of the last stage or block; the clock goes on.
  const since = (state && state.since) || 0;
  if (p.elapsed != null) {
    lines.push(fill(labels.elapsed, { s: (p.elapsed + since).toFixed(0) }));
  }
  if (p.time_limit) {
    // The solver's time limit counts its work, not the clock: on a busy
    // computer the solve may take longer, so the bar stops at its end.
    const after = stages.indexOf(stage) > stages.indexOf("solve");
    const s = p.solve_elapsed == null ? 0 : p.solve_elapsed + since;
    document.getElementById("bar-time").style.width = after ? "100%"
      : `${Math.min(100, (100 * s) / p.time_limit)}%`;
    if (stage === "solve") {
      lines.push(fill(labels.solving,
        { s: s.toFixed(0), limit: Number(p.time_limit).toFixed(0) }));
    }
  }
  if (stage === "solve" && p.total) {
    lines.push(fill(labels.blocks, { done: p.done, total: p.total }));
  }
  if (p.needs_met != null) {
    lines.push(fill(labels.met, { v: p.needs_met.toLocaleString(undefined,
      { maximumFractionDigits: 1 }) }));
  }
  if (p.gap != null) {
    lines.push(fill(labels.bound, { gap: `${(100 * p.gap).toFixed(2)}%` }));
  }
  document.getElementById("figures").textContent = lines.join(" · ");
}

function follow(box) {
  const tick = async () => {
    let state = null;
    try {
      const r = await fetch(`/api/progress/${box.dataset.id}`,
        { cache: "no-store" });
      state = await r.json();
    } catch (e) { setTimeout(tick, 1000); return; }
    draw(box, state);
    if (state.status === "done" && state.folder) {
      window.location = `/runs/${encodeURIComponent(state.folder)}`;
    } else if (state.status !== "running") {
      window.location.reload();
    } else {
      setTimeout(tick, 500);
    }
  };
  tick();
}
