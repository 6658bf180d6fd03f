// Order exports page: each export still being written asks how far it is every two seconds
// and shows it, then its download link, without reloading the page (store/admin/exports.py).
"use strict";

const POLL_MS = 2000;

function show(cell, answer) {
  cell.dataset.exportStatus = answer.status;
  if (answer.download_url) {
    const link = document.createElement("a");
    link.href = answer.download_url;
    link.textContent = `Download (${answer.rows_written} orders)`;
    cell.replaceChildren(link);
    return;
  }
  if (answer.status === "failed") {
    cell.textContent = "Failed: see the export's error after reloading the page.";
    return;
  }
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = answer.percent;
  bar.textContent = `${answer.percent}%`;
  const label = document.createElement("span");
  const total = answer.total_rows === null ? "" : ` of ${answer.total_rows}`;
  label.textContent = ` ${answer.status_label}: ${answer.rows_written}${total} orders`;
  cell.replaceChildren(bar, label);
}

function follow(cell) {
  const poll = async () => {
    const response = await fetch(cell.dataset.exportProgress, { credentials: "same-origin" });
    if (!response.ok) return;
    const answer = await response.json();
    show(cell, answer);
    if (answer.status === "queued" || answer.status === "running") {
      window.setTimeout(poll, POLL_MS);
    }
  };
  window.setTimeout(poll, POLL_MS);
}

document.querySelectorAll("[data-export-progress]").forEach((cell) => {
  if (cell.dataset.exportStatus === "queued" || cell.dataset.exportStatus === "running") {
    follow(cell);
  }
});
