/* The plan editor: the JSON checked as you type (syntax, then plan.schema.json), the run submitted with
   the chosen plane and options, and the server's own `invalid_plan` errors shown at their paths. */
"use strict";

Mantis.onReady(async () => {
  const CHECK_DELAY_MS = 250;
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
  let schema = null;
  let timer = null;

  function showErrors(errors, where) {
    $("plan-errors").replaceChildren(...errors.map((e) =>
      el("li", {}, el("code", {}, e.path || "(the plan)"), " ", e.message)));
    plan.setAttribute("aria-invalid", errors.length ? "true" : "false");
    $("plan-state").textContent = errors.length
      ? `${errors.length} problem${errors.length > 1 ? "s" : ""} ${where}`
      : schema ? "The plan matches plan.schema.json." : "The plan is valid JSON.";
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

  function check() {
    const doc = parsed();
    if (doc.error) return showErrors([doc.error], "in the JSON");
    showErrors(schema ? MantisSchema.validate(schema, doc.value) : [], "against plan.schema.json");
  }

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

  plan.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, CHECK_DELAY_MS); });
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
  try {
    schema = await Mantis.get("/v1/plan.schema.json");
  } catch (error) {
    $("plan-state").textContent = `plan.schema.json could not be loaded (${error.message}); the server checks on submit.`;
  }
  check();
});
