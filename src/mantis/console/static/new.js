/* The plan editor: as you type, the JSON's syntax here, then the whole submission by the server's own
   `action: validate` (schema, ids and jumps, caps, fence, plane), each problem at its path; the run
   submitted with the chosen plane and options; a refused submission's `invalid_plan` errors shown alike. */
"use strict";

Mantis.onReady(() => {
  const CHECK_DELAY_MS = 400; // a pause in typing, not every key, asks the server
  const EXAMPLE = {
    name: "news front page",
    runtime: { compute_backend: "browser_use_plane" },
    steps: [
      { type: "navigate", params: { url: "/demo/news/" } },
      { type: "extract_data", intent: "the stories", extract: { fields: [{ name: "title", required: true }, { name: "points" }], max_items: 5 } },
    ],
  };
  const { el } = Mantis;
  const $ = (id) => document.getElementById(id);
  const plan = $("plan");
  let timer = null;
  let asked = 0; // the latest check sent: an older answer arriving late is dropped

  function showErrors(errors, where, warnings = []) {
    $("plan-errors").replaceChildren(
      ...errors.map((e) => el("li", {}, el("code", {}, e.path || "(the plan)"), " ", e.message)),
      ...warnings.map((w) => el("li", { class: "warning" }, "warning: ", w)));
    plan.setAttribute("aria-invalid", errors.length ? "true" : "false");
    $("plan-state").textContent = errors.length
      ? `${errors.length} problem${errors.length > 1 ? "s" : ""} ${where}`
      : where;
  }

  function parsed() {
    try {
      return { value: JSON.parse(plan.value) };
    } catch (error) {
      const at = /position (\d+)/.exec(error.message);
      const before = plan.value.slice(0, at ? Number(at[1]) : plan.value.length).split("\n");
      const where = `line ${before.length}, column ${before[before.length - 1].length + 1}`;
      return { error: { path: "", message: `not valid JSON at ${where}: ${error.message}` } };
    }
  }

  async function check() {
    const doc = parsed();
    if (doc.error) return showErrors([doc.error], "in the JSON");
    let body;
    try {
      body = { ...submission(doc.value), action: "validate" };
    } catch (error) {
      return showErrors([{ path: "inputs", message: `not a JSON object: ${error.message}` }], "in the options");
    }
    const mine = ++asked;
    try {
      const report = await Mantis.predict(body);
      if (mine !== asked) return;
      const where = report.valid
        ? `The server accepts this plan (${report.kind}, ${report.steps} steps, on ${report.compute_backend || "the default plane"}).`
        : "found by the server's check";
      showErrors(report.problems || [], where, report.warnings || []);
    } catch (error) {
      if (mine !== asked) return;
      showErrors([{ path: "", message: `${error.code}: ${error.message}` }], "found by the server's check");
    }
  }

  function later() { clearTimeout(timer); timer = setTimeout(check, CHECK_DELAY_MS); }

  function number(id) {
    const raw = $(id).value.trim();
    return raw === "" ? undefined : Number(raw);
  }

  function submission(document) {
    const body = { detached: true };
    if (document && !Array.isArray(document) && typeof document === "object" && "tasks" in document) body.task_suite = document;
    else body.micro = document;
    const fields = {
      compute_backend: $("plane").value || undefined,
      max_cost: number("max-cost"),
      max_time_minutes: number("max-minutes"),
      profile_id: $("profile").value.trim() || undefined,
      workflow_id: $("workflow").value.trim() || undefined,
    };
    for (const [name, value] of Object.entries(fields)) if (value !== undefined) body[name] = value;
    if ($("inputs").value.trim()) body.inputs = JSON.parse($("inputs").value);
    if ($("record-video").checked) {
      body.record_video = true;
      body.video_format = $("video-format").value;
    }
    if ($("live-viewer").checked) body.live_viewer = true;
    return body;
  }

  plan.addEventListener("input", later);
  for (const option of document.querySelectorAll(".options input, .options select, .options textarea")) {
    option.addEventListener("change", later);
  }
  $("new-run").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("submit-error").hidden = true;
    const doc = parsed();
    if (doc.error) { showErrors([doc.error], "in the JSON"); plan.focus(); return; }
    let body;
    try {
      body = submission(doc.value);
    } catch (error) {
      $("submit-error").hidden = false;
      $("submit-error").textContent = `Inputs are not a JSON object: ${error.message}`;
      $("inputs").focus();
      return;
    }
    $("submit").disabled = true;
    try {
      const queued = await Mantis.predict(body);
      window.location.assign(`${Mantis.root}/runs/${encodeURIComponent(queued.run_id)}`);
    } catch (error) {
      $("submit").disabled = false;
      if (error.code === "invalid_plan" && Array.isArray(error.details)) {
        showErrors(error.details, "found by the server");
        plan.focus();
      }
      $("submit-error").hidden = false;
      $("submit-error").textContent = `${error.code}: ${error.message}`;
    }
  });

  plan.value = JSON.stringify(EXAMPLE, null, 2);
  check();
});
