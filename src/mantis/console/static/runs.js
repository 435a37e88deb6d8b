/* The runs list: `action: list`, filtered by status, paged by cursor, refreshed every few seconds. */
"use strict";

Mantis.onReady(() => {
  const REFRESH_MS = 3000;
  const { el } = Mantis;
  const body = document.querySelector("#runs tbody");
  const status = document.getElementById("status-filter");
  const size = document.getElementById("page-size");
  const newer = document.getElementById("newer");
  const older = document.getElementById("older");
  const live = document.getElementById("live");
  const params = new URLSearchParams(window.location.search);
  status.value = params.get("status") || "";
  let cursors = [null]; // the cursor of each page seen, so "Newer" can go back
  let next = null;
  let timer = null;

  function row(run) {
    const link = el("a", { href: `${Mantis.root}/runs/${encodeURIComponent(run.run_id)}` }, run.run_id);
    const state = el("span", {}, run.status);
    Mantis.badge(state, run.status);
    const plane = run.compute_backend ? el("small", { class: "muted" }, run.compute_backend) : null;
    return el("tr", { "data-run-id": run.run_id, "data-status": run.status },
      el("td", { "data-label": "Run" }, link),
      el("td", { "data-label": "Status" }, state),
      el("td", { "data-label": "Plan", title: run.summary || "" }, el("span", {}, run.plan || "", plane ? " " : null, plane)),
      el("td", { "data-label": "Profile" }, run.profile_id || "–"),
      el("td", { "data-label": "Workflow" }, run.workflow_id || "–"),
      el("td", { "data-label": "Age", title: run.created_at }, Mantis.age(run.created_at)),
      el("td", { "data-label": "Rows", class: "num" }, el("span", {}, `${run.rows ?? 0}`,
        el("small", { class: "muted" }, ` (${run.viable ?? 0} viable)`))),
      el("td", { "data-label": "Cost", class: "num" }, Mantis.cost(run.cost_usd)));
  }

  async function load() {
    clearTimeout(timer);
    const query = { action: "list", limit: Number(size.value) };
    if (status.value) query.status = status.value;
    const cursor = cursors[cursors.length - 1];
    if (cursor) query.cursor = cursor;
    try {
      const page = await Mantis.predict(query);
      body.replaceChildren(...page.runs.map(row));
      document.getElementById("no-runs").hidden = page.runs.length > 0;
      next = page.next_cursor;
      older.disabled = !next;
      newer.disabled = cursors.length < 2;
      document.getElementById("page-no").textContent = `page ${cursors.length}`;
      live.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      live.textContent = `could not load the runs: ${error.message}`;
    }
    timer = setTimeout(load, REFRESH_MS);
  }

  function restart() {
    cursors = [null];
    const url = new URL(window.location.href);
    if (status.value) url.searchParams.set("status", status.value); else url.searchParams.delete("status");
    history.replaceState(null, "", url);
    load();
  }

  status.addEventListener("change", restart);
  size.addEventListener("change", restart);
  older.addEventListener("click", () => { if (next) { cursors.push(next); load(); } });
  newer.addEventListener("click", () => { if (cursors.length > 1) { cursors.pop(); load(); } });
  load();
});
