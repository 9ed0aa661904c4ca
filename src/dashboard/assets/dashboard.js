// The dashboard's pages: the jobs list and a job, kept live by asking the server once a second.
// Everything shown is set as text (textContent), never as markup, but for the charts, which the
// server draws with every value escaped.
"use strict";

const POLL_MS = 1000;

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

async function getJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error ? body.error.message : response.statusText;
    throw new Error(message);
  }
  return body;
}

function formatTime(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const date = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "—";
  seconds = Math.max(0, Math.round(seconds));
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s`;
  if (m > 0) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

function statusBadge(status) {
  return element("span", status, `status status-${status}`);
}

function showProblem(where, error) {
  where.textContent = `Not up to date: ${error.message}`;
  where.classList.add("problem");
}

function clearProblem(where) {
  where.textContent = "";
  where.classList.remove("problem");
}

// ---- the jobs page ----

function jobsPage() {
  const params = new URLSearchParams(location.search);
  const status = document.getElementById("status");
  const name = document.getElementById("name");
  const body = document.querySelector("#jobs tbody");
  const live = document.getElementById("live");
  const empty = document.getElementById("empty");
  const previous = document.getElementById("previous");
  const next = document.getElementById("next");
  const pageLabel = document.getElementById("page");
  status.value = params.get("status") || "";
  name.value = params.get("name") || "";

  let tokens = [""]; // the NextToken of each page seen, the current one last
  let nextToken = "";
  let shown = "";
  let timer = null;

  function url() {
    const query = new URLSearchParams();
    if (status.value) query.set("status", status.value);
    if (name.value) query.set("name", name.value);
    const token = tokens[tokens.length - 1];
    if (token) query.set("next", token);
    return "/api/jobs?" + query.toString();
  }

  function row(job) {
    const tr = document.createElement("tr");
    tr.dataset.job = job.name;
    const link = element("a", job.name);
    link.href = "/jobs/" + encodeURIComponent(job.name);
    const cell = element("td");
    cell.appendChild(link);
    tr.appendChild(cell);
    const statusCell = element("td");
    statusCell.appendChild(statusBadge(job.status));
    statusCell.className = "job-status";
    tr.appendChild(statusCell);
    tr.appendChild(element("td", job.secondaryStatus, "job-secondary"));
    tr.appendChild(element("td", `${job.instanceType || "local"} × ${job.instanceCount}`));
    tr.appendChild(element("td", formatTime(job.created)));
    const end = job.ended !== null ? job.ended : (job.status === "InProgress" || job.status === "Stopping" ? Date.now() / 1000 : null);
    tr.appendChild(element("td", end === null ? "—" : formatDuration(end - job.created)));
    tr.appendChild(element("td", job.finalMetrics.map((m) => `${m.name} ${m.value}`).join(", ") || "—", "metrics"));
    return tr;
  }

  async function refresh() {
    clearTimeout(timer);
    const asked = url();
    try {
      const page = await getJson(asked);
      if (asked !== url()) return; // the filters changed meanwhile
      const text = JSON.stringify(page);
      const running = page.jobs.some((job) => job.status === "InProgress" || job.status === "Stopping");
      if (text !== shown || running) {
        shown = text;
        body.replaceChildren(...page.jobs.map(row));
        empty.hidden = page.jobs.length > 0;
      }
      nextToken = page.next;
      next.disabled = !nextToken;
      previous.disabled = tokens.length <= 1;
      pageLabel.textContent = `Page ${tokens.length}`;
      clearProblem(live);
    } catch (error) {
      showProblem(live, error);
    }
    timer = setTimeout(refresh, POLL_MS);
  }

  function restart() {
    tokens = [""];
    shown = "";
    const query = new URLSearchParams();
    if (status.value) query.set("status", status.value);
    if (name.value) query.set("name", name.value);
    history.replaceState(null, "", query.toString() ? "?" + query.toString() : location.pathname);
    refresh();
  }

  let typing = null;
  status.addEventListener("change", restart);
  name.addEventListener("input", () => {
    clearTimeout(typing);
    if (name.checkValidity()) typing = setTimeout(restart, 250);
  });
  document.getElementById("filters").addEventListener("submit", (event) => { event.preventDefault(); restart(); });
  next.addEventListener("click", () => { if (nextToken) { tokens.push(nextToken); shown = ""; refresh(); } });
  previous.addEventListener("click", () => { if (tokens.length > 1) { tokens.pop(); shown = ""; refresh(); } });
  refresh();
}

// ---- a job's page ----

function fact(list, term, value, className) {
  list.appendChild(element("dt", term));
  list.appendChild(element("dd", value === undefined || value === null || value === "" ? "—" : value, className));
}

function renderSummary(job) {
  const summary = document.getElementById("summary");
  summary.replaceChildren();
  const end = job.TrainingEndTime || (job.TrainingJobStatus === "InProgress" ? Date.now() / 1000 : null);
  fact(summary, "ARN", job.TrainingJobArn, "mono");
  fact(summary, "Created", formatTime(job.CreationTime));
  fact(summary, "Training started", formatTime(job.TrainingStartTime));
  fact(summary, "Training ended", formatTime(job.TrainingEndTime));
  fact(summary, "Duration", end ? formatDuration(end - job.CreationTime) : "—");
  fact(summary, "Training time", job.TrainingTimeInSeconds !== undefined ? formatDuration(job.TrainingTimeInSeconds) : "—");
  fact(summary, "Billable time", job.BillableTimeInSeconds !== undefined ? formatDuration(job.BillableTimeInSeconds) : "—");
  const model = job.ModelArtifacts && job.ModelArtifacts.S3ModelArtifacts;
  document.getElementById("model").textContent = model || "—";
}

function renderRequest(job) {
  const request = document.getElementById("request");
  request.replaceChildren();
  const algorithm = job.AlgorithmSpecification || {};
  const resources = job.ResourceConfig || {};
  fact(request, "Image", algorithm.TrainingImage || "none: a native job (the script runs on this machine)", "mono");
  if (algorithm.ContainerEntrypoint) fact(request, "Entrypoint", algorithm.ContainerEntrypoint.join(" "), "mono");
  fact(request, "Instances", `${resources.InstanceType || "local"} × ${resources.InstanceCount || 1}`);
  fact(request, "Input mode", algorithm.TrainingInputMode);
  fact(request, "Output", job.OutputDataConfig && job.OutputDataConfig.S3OutputPath, "mono");
  if (job.CheckpointConfig) fact(request, "Checkpoints", job.CheckpointConfig.S3Uri, "mono");
  const stopping = job.StoppingCondition || {};
  fact(request, "Max runtime", stopping.MaxRuntimeInSeconds ? formatDuration(stopping.MaxRuntimeInSeconds) : "—");
  fact(request, "Role", job.RoleArn, "mono");

  const hyper = document.querySelector("#hyperparameters tbody");
  hyper.replaceChildren(...Object.entries(job.HyperParameters || {}).map(([key, value]) => {
    const tr = document.createElement("tr");
    tr.appendChild(element("td", key, "mono"));
    tr.appendChild(element("td", value, "mono"));
    return tr;
  }));
  const channels = document.querySelector("#channels tbody");
  channels.replaceChildren(...(job.InputDataConfig || []).map((channel) => {
    const tr = document.createElement("tr");
    const source = channel.DataSource || {};
    const s3 = source.S3DataSource;
    const fileSystem = source.FileSystemDataSource;
    tr.appendChild(element("td", channel.ChannelName));
    tr.appendChild(element("td", s3 ? s3.S3Uri : (fileSystem ? fileSystem.DirectoryPath : "—"), "mono"));
    tr.appendChild(element("td", channel.InputMode || algorithm.TrainingInputMode || "File"));
    return tr;
  }));
}

function renderTimeline(job) {
  const timeline = document.getElementById("timeline");
  timeline.replaceChildren(...(job.SecondaryStatusTransitions || []).map((transition) => {
    const item = element("li");
    item.dataset.status = transition.Status;
    item.appendChild(element("span", transition.Status, "step"));
    const end = transition.EndTime || null;
    item.appendChild(element("span", formatTime(transition.StartTime) + (end ? ` → ${formatTime(end)} (${formatDuration(end - transition.StartTime)})` : " → now"), "when"));
    if (transition.StatusMessage) item.appendChild(element("span", transition.StatusMessage, "message"));
    return item;
  }));
}

function jobPage() {
  const name = decodeURIComponent(location.pathname.slice("/jobs/".length));
  const base = "/api/jobs/" + encodeURIComponent(name);
  document.title = `${name} · sagerun`;
  document.getElementById("job-name").textContent = name;
  document.getElementById("crumb").textContent = name;
  const statusNode = document.getElementById("job-status");
  const secondaryNode = document.getElementById("job-secondary");
  const stop = document.getElementById("stop");
  const stopResult = document.getElementById("stop-result");
  let ended = false;
  let lastJob = "";
  let lastCharts = "";
  const streams = new Map(); // stream name → {next, pre, done}

  stop.addEventListener("click", async () => {
    stop.disabled = true;
    stopResult.textContent = "Stopping…";
    try {
      const response = await fetch(base + "/stop", { method: "POST" });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
      stopResult.textContent = "Stop asked.";
    } catch (error) {
      stopResult.textContent = `Not stopped: ${error.message}`;
      stop.disabled = false;
    }
  });

  async function refreshJob() {
    const job = await getJson(base);
    const text = JSON.stringify(job);
    if (text === lastJob && ended) return;
    lastJob = text;
    statusNode.replaceChildren(statusBadge(job.TrainingJobStatus));
    statusNode.className = "status-holder";
    statusNode.dataset.status = job.TrainingJobStatus;
    secondaryNode.textContent = job.SecondaryStatus || "";
    stop.hidden = job.TrainingJobStatus !== "InProgress";
    const failure = document.getElementById("failure");
    failure.hidden = !job.FailureReason;
    document.getElementById("failure-reason").textContent = job.FailureReason || "";
    renderSummary(job);
    renderRequest(job);
    renderTimeline(job);
    ended = !(job.TrainingJobStatus === "InProgress" || job.TrainingJobStatus === "Stopping");
  }

  async function refreshCharts() {
    const response = await fetch(base + "/charts", { cache: "no-store" });
    if (!response.ok) return;
    const html = await response.text();
    if (html === lastCharts) return;
    lastCharts = html;
    const holder = document.getElementById("charts");
    const open = new Set([...holder.querySelectorAll("details[open]")].map((d) => d.closest("figure").dataset.metric + "\u0000" + d.dataset.host));
    if (!html) {
      holder.replaceChildren(element("p", "No metrics yet.", "empty"));
      return;
    }
    holder.innerHTML = html; // drawn by the server, every value escaped
    for (const details of holder.querySelectorAll("details")) {
      if (open.has(details.closest("figure").dataset.metric + "\u0000" + details.dataset.host)) details.open = true;
    }
  }

  async function refreshLogs() {
    const holder = document.getElementById("logs");
    const listed = await getJson(base + "/streams");
    for (const stream of listed.logStreams || []) {
      if (streams.has(stream.logStreamName)) continue;
      if (streams.size === 0) holder.replaceChildren();
      const section = element("section", null, "log");
      section.dataset.stream = stream.logStreamName;
      const host = stream.logStreamName.slice(name.length + 1).replace(/-\d+$/, "");
      section.appendChild(element("h3", host));
      const pre = element("pre", null, "log-text");
      pre.tabIndex = 0;
      section.appendChild(pre);
      holder.appendChild(section);
      streams.set(stream.logStreamName, { next: "", pre, done: false });
    }
    for (const [streamName, stream] of streams) {
      if (stream.done) continue;
      for (let round = 0; round < 20; ++round) {
        const query = new URLSearchParams({ stream: streamName });
        if (stream.next) query.set("next", stream.next);
        const page = await getJson(base + "/logs?" + query.toString());
        const atBottom = stream.pre.scrollHeight - stream.pre.scrollTop - stream.pre.clientHeight < 8;
        if (page.events.length > 0) {
          const lines = page.events.map((event) => event.message).join("\n") + "\n";
          stream.pre.appendChild(document.createTextNode(lines));
          if (atBottom) stream.pre.scrollTop = stream.pre.scrollHeight;
        }
        const moved = page.nextForwardToken && page.nextForwardToken !== stream.next;
        stream.next = page.nextForwardToken || stream.next;
        if (page.events.length === 0 || !moved) {
          if (ended) stream.done = true;
          break;
        }
      }
    }
  }

  const live = document.getElementById("stop-result");
  async function refresh() {
    const wasEnded = ended;
    try {
      await refreshJob();
      await Promise.all([refreshCharts(), refreshLogs()]);
      if (live.classList.contains("problem")) clearProblem(live);
    } catch (error) {
      showProblem(live, error);
    }
    // Once ended, one more round picks up the last lines and points; then it stays as it is.
    const drained = wasEnded && ended && [...streams.values()].every((s) => s.done);
    if (!drained) setTimeout(refresh, POLL_MS);
  }
  refresh();
}

if (document.body.dataset.page === "jobs") jobsPage();
if (document.body.dataset.page === "job") jobPage();
