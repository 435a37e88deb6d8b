/* One run: its status polled while it lasts, its log streamed, and once it has ended its rows, timeline
   with screenshots, recordings and files (the links are the signed ones `result` hands out). */
"use strict";

Mantis.onReady(() => {
  const POLL_MS = 1500;
  const { el } = Mantis;
  const runId = document.body.dataset.runId;
  const $ = (id) => document.getElementById(id);
  const stepsLive = new Map(); // step index -> its latest event, while the run lasts
  let ended = false;
  let timelineFromResult = false;
  const stream = new AbortController();

  function showError(message) {
    $("run-error").hidden = !message;
    $("run-error").textContent = message || "";
  }

  function renderStatus(s) {
    Mantis.badge($("status"), s.status);
    $("summary").textContent = s.summary || "";
    const p = s.progress || {};
    $("progress").max = Math.max(p.steps_total || 0, 1);
    $("progress").value = Mantis.FINAL.has(s.status) ? $("progress").max : p.step_index || 0;
    $("step").textContent = p.steps_total
      ? `${Math.min((p.step_index || 0) + 1, p.steps_total)} of ${p.steps_total}` +
        (p.current_intent && !Mantis.FINAL.has(s.status) ? ` · ${p.current_intent}` : "")
      : "–";
    $("elapsed").textContent = `${Number(s.elapsed_seconds || 0).toFixed(1)} s`;
    $("cost").textContent = Mantis.cost(s.cost_usd);
    $("viable").textContent = String(s.viable ?? 0);
    $("created").textContent = s.created_at ? `${Mantis.age(s.created_at)} (${s.created_at})` : "–";
    $("failure").hidden = !s.error;
    if (s.error) $("failure").textContent = `${s.error.code}: ${s.error.message}`;
    $("cancel").disabled = Mantis.FINAL.has(s.status);
    const viewer = s.viewer_url && !Mantis.FINAL.has(s.status);
    $("viewer").hidden = !viewer;
    if (viewer) {
      $("viewer-link").href = s.viewer_url;
      if (!$("viewer-img").getAttribute("src")) $("viewer-img").src = s.viewer_url;
    } else {
      $("viewer-img").removeAttribute("src");
    }
    document.title = `${s.status} · run ${runId} · Mantis`;
  }

  /* The trace as a list: tasks as headings, branches and loop turns as their own marked items, and
     each step inside a loop labelled with the iteration it ran in. */
  function renderTimeline(steps, artifacts) {
    const items = [];
    let task = null;
    const loops = []; // open loops: {from, to, n}
    for (const step of steps) {
      if (step.task_id && step.task_id !== task) {
        task = step.task_id;
        items.push(el("li", { class: "task" }, el("h3", {}, `Task ${task}`)));
      }
      const data = step.data || {};
      if (step.status === "branch") {
        items.push(branchItem(step, data));
        if (step.type === "loop" || "iteration" in data || "iterations" in data) {
          while (loops.length && loops[loops.length - 1].to === step.index) loops.pop();
          if ("iteration" in data) loops.push({ from: data.target, to: step.index, n: data.iteration + 1 });
        }
        continue;
      }
      const loop = loops.find((l) => step.index >= l.from && step.index < l.to);
      const head = el("div", { class: "step-head" },
        el("span", { class: "index" }, `${step.index + 1}.`),
        el("strong", {}, step.type || "step"),
        step.intent ? el("span", { class: "intent" }, step.intent) : null,
        loop ? el("span", { class: "tag" }, `iteration ${loop.n}`) : null,
        el("span", { class: "badge " + (step.status || "running") }, step.status || "running"),
        step.duration_ms ? el("small", { class: "muted" }, `${step.duration_ms} ms`) : null);
      const shot = step.screenshot && artifacts && artifacts[step.screenshot];
      items.push(el("li", { class: "step " + (step.status || "running"), "data-step": step.index },
        head,
        step.message ? el("p", { class: "message" }, step.message) : null,
        shot ? el("a", { href: shot, target: "_blank", rel: "noopener noreferrer", class: "shot" },
          el("img", { src: shot, alt: `Screenshot after step ${step.index + 1}`, loading: "lazy" })) : null));
    }
    $("timeline").replaceChildren(...items);
  }

  function branchItem(step, data) {
    let text;
    if ("iteration" in data) text = `↻ loop: iteration ${data.iteration} done, back to step ${data.target + 1}`;
    else if ("iterations" in data) text = `↻ loop ends after ${data.iterations} iterations → step ${data.target + 1}`;
    else if ("var" in data) text = `⑂ branch: ${data.var} = ${JSON.stringify(data.value)} → step ${data.target + 1}`;
    else text = `↪ ${step.type}: ${step.message || ""}`;
    if (data.loop_count_clamped !== undefined) text += ` (loop_count clamped to ${data.loop_count_clamped})`;
    return el("li", { class: "branch", "data-step": step.index },
      el("span", { class: "index" }, `${step.index + 1}.`), " ", text);
  }

  function liveTimeline(event) {
    if (timelineFromResult || !event.type.startsWith("step.")) return;
    const data = event.data || {};
    if (event.type === "step.branch") {
      stepsLive.set(`b${stepsLive.size}`, { index: event.step_index, status: "branch", data });
    } else if (event.type === "step.started") {
      stepsLive.set(`s${event.step_index}:${stepsLive.size}`, {
        index: event.step_index, type: data.type, intent: event.message, status: "running", task_id: data.task_id,
      });
    } else {
      const open = [...stepsLive.values()].reverse().find((s) => s.index === event.step_index && s.status === "running");
      if (open) Object.assign(open, { status: event.type.slice(5), message: event.message, duration_ms: data.duration_ms });
    }
    renderTimeline([...stepsLive.values()], null);
  }

  function logLine(event) {
    const step = event.step_index === null || event.step_index === undefined ? "" : ` [${event.step_index}]`;
    $("log").append(el("li", { class: "level-" + event.level },
      el("time", { datetime: event.ts }, (event.ts || "").replace("T", " ").replace("Z", "")), " ",
      el("span", { class: "type" }, event.type), step, " ", event.message));
  }

  function cellValue(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "object") return JSON.stringify(value);
    const text = String(value);
    if (/^https?:\/\//.test(text)) return el("a", { href: text, target: "_blank", rel: "noopener noreferrer" }, text);
    return text;
  }

  function renderRows(rows) {
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => !c.startsWith("_"));
    const head = el("tr", {}, el("th", { scope: "col" }, "Viable"), ...columns.map((c) => el("th", { scope: "col" }, c)));
    const body = rows.map((r) => el("tr", { class: r._viable ? "viable" : "rejected" },
      el("td", { "data-label": "Viable" }, r._viable ? "✓ viable" : `✗ rejected: ${r._rejection || "not viable"}`),
      ...columns.map((c) => el("td", { "data-label": c }, cellValue(r[c])))));
    document.querySelector("#rows thead").replaceChildren(head);
    document.querySelector("#rows tbody").replaceChildren(...body);
    const viable = rows.filter((r) => r._viable).length;
    $("rows-note").textContent = rows.length
      ? `${rows.length} rows: ${viable} viable, ${rows.length - viable} rejected.`
      : "This run extracted no rows.";
  }

  function renderFiles(artifacts) {
    const names = Object.keys(artifacts).sort();
    $("files").replaceChildren(...names.map((name) =>
      el("li", {}, el("a", { href: artifacts[name], target: "_blank", rel: "noopener noreferrer" }, name))));
    $("files-card").hidden = names.length === 0;
    const csv = artifacts["extracted_rows.csv"];
    $("csv").hidden = !csv;
    if (csv) {
      $("csv").href = csv;
      $("csv").setAttribute("download", `${runId}.csv`);
    }
  }

  function renderRecordings(recordings) {
    let any = false;
    for (const kind of ["polished", "raw"]) {
      const item = recordings[kind];
      const figure = $(kind);
      figure.hidden = !item;
      if (!item) continue;
      any = true;
      const video = figure.querySelector("video");
      video.src = item.url;
      figure.querySelector("a").href = item.url;
      figure.querySelector("figcaption").textContent =
        `${kind === "polished" ? "Polished (steps and their marks drawn)" : "Raw"} · ${item.format}, ${(item.bytes / 1e6).toFixed(1)} MB`;
    }
    $("recordings").hidden = !any;
  }

  async function finish() {
    const [result, recordings] = await Promise.all([
      Mantis.predict({ action: "result", run_id: runId }),
      Mantis.predict({ action: "recording", run_id: runId }),
    ]);
    const body = result.result || {};
    timelineFromResult = true;
    renderRows(body.rows || []);
    renderTimeline(body.steps || [], body.artifacts || {});
    renderFiles(body.artifacts || {});
    renderRecordings(recordings);
    if (recordings.state === "pending") setTimeout(awaitRecordings, POLL_MS);
  }

  async function awaitRecordings() {
    /* The recordings are made after the run ends: asked again until they are ready or failed. */
    const recordings = await Mantis.predict({ action: "recording", run_id: runId });
    if (recordings.state === "pending") {
      setTimeout(awaitRecordings, POLL_MS);
      return;
    }
    renderRecordings(recordings);
    const result = await Mantis.predict({ action: "result", run_id: runId });
    renderFiles((result.result || {}).artifacts || {});
  }

  async function poll() {
    try {
      const s = await Mantis.predict({ action: "status", run_id: runId });
      showError("");
      renderStatus(s);
      if (Mantis.FINAL.has(s.status)) {
        ended = true;
        await finish();
        return;
      }
    } catch (error) {
      if (error.code === "run_not_found") {
        showError(`There is no run ${runId} among your runs.`);
        return;
      }
      showError(error.message);
    }
    setTimeout(poll, POLL_MS);
  }

  $("cancel").addEventListener("click", async () => {
    $("cancel").disabled = true;
    try {
      renderStatus(await Mantis.predict({ action: "cancel", run_id: runId }));
    } catch (error) {
      showError(error.message);
      $("cancel").disabled = ended;
    }
  });

  Mantis.events(runId, (_type, event) => { logLine(event); liveTimeline(event); }, stream.signal)
    .catch((error) => { if (error.name !== "AbortError" && error.code !== "run_not_found") showError(error.message); });
  window.addEventListener("pagehide", () => stream.abort());
  poll();
});
