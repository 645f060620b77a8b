/* nhiscan report: paged, filterable tables over the data island. Data is only ever placed with
   textContent and properties, never parsed as markup: names come from the scanned systems. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("nhiscan-data").textContent);
  const PAGE_SIZE = 50;
  const SEVERITY_RANK = { critical: 4, high: 3, medium: 2, low: 1 };
  const RISKY = new Set(["admin", "privilege_escalation", "iam_write", "secrets_read", "logging_disable",
    "impersonation", "credential_create", "code_execution", "external_egress", "data_write"]);
  // control characters but tab and line breaks, bidirectional controls and invisible marks
  const HIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u206f\ufeff\u{e0000}-\u{e007f}]/gu;

  const reveal = (value) => String(value ?? "").replace(HIDDEN,
    (c) => "\u27e6U+" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0") + "\u27e7");
  const shorten = (value, limit = 100) => {
    const text = reveal(value);
    return text.length > limit ? text.slice(0, limit - 1) + "\u2026" : text;
  };
  const number = (n) => n.toLocaleString("en");
  /* "unknown": the source did not read the field (never shown as its absence) */
  const UNKNOWN = "unknown";
  const days = (n) => (n === null || n === undefined ? "\u2014" : n === UNKNOWN ? UNKNOWN : number(n) + " d");
  const ago = (n) => (n === null ? "never" : n === UNKNOWN ? UNKNOWN : days(n) + " ago");
  const sortable = (n) => (n === UNKNOWN ? -1 : n);  /* unknown sorts below every known number */

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "dataset") Object.assign(node.dataset, value);
      else node[key] = value;
    }
    for (const child of children.flat(2)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  /* names break after separators (/ : . - _ @ #), not inside words */
  const breakable = (value) => shorten(value, 400).split(/(?<=[\/:.\-_@#])/).flatMap((part) => [part, el("wbr")]);
  const text = (value, limit) => el("span", { title: reveal(value), className: "id" },
    limit && reveal(value).length > limit ? shorten(value, limit) : breakable(value));
  const badge = (value, prefix) => el("span", { className: "badge " + prefix + value }, value);
  const tags = (values) => el("div", { className: "tags" },
    (values || []).map((tag) => el("span", { className: RISKY.has(tag) ? "tag risky" : "tag" }, reveal(tag))));
  /* a list the source did not read whole (the record's ``unread`` names it): what was read, and that
     more may exist; "unknown" when nothing was read, never "none" */
  const unread = (record, list) => (record.unread || []).includes(list);
  const partly = (record, list, shown, empty) => (!unread(record, list) ? (shown || empty)
    : shown ? el("div", {}, shown, el("span", { className: "badge st-unknown" }, "not read completely"))
      : el("span", { className: "badge st-unknown" }, UNKNOWN));
  const listTags = (record, list) => partly(record, list, record[list].length ? tags(record[list]) : null, tags([]));

  function records(name) {
    const columns = data.columns[name];
    return data[name].map((row) => {
      const record = {};
      columns.forEach((column, index) => { record[column] = row[index]; });
      return record;
    });
  }

  /* ------------------------------------------------------------------ a paged, sortable table */
  function DataTable(options) {
    const table = document.getElementById(options.name + "-table");
    const count = document.getElementById(options.name + "-count");
    const pager = document.getElementById(options.name + "-pager");
    const filters = document.getElementById(options.filters);
    const state = { page: 0, sort: options.sort, descending: !!options.descending, values: {} };
    const rows = options.rows;

    function readFilters() {
      state.values = {};
      filters.querySelectorAll("[data-filter]").forEach((input) => {
        state.values[input.dataset.filter] = input.value.trim();
      });
      state.values.text = (state.values.text || "").toLowerCase();
    }

    function header() {
      const tr = el("tr");
      options.columns.forEach((column, index) => {
        const th = el("th", { className: "sortable" + (column.num ? " num" : ""), scope: "col" }, column.label);
        if (state.sort === index) th.setAttribute("aria-sort", state.descending ? "descending" : "ascending");
        th.addEventListener("click", () => {
          state.descending = state.sort === index ? !state.descending : false;
          state.sort = index;
          state.page = 0;
          render();
        });
        tr.append(th);
      });
      return el("thead", {}, tr);
    }

    function ordered(list) {
      const column = options.columns[state.sort];
      const key = column.sort || column.value;
      const direction = state.descending ? -1 : 1;
      return list.map((row) => [key(row), row]).sort((a, b) => {
        const x = a[0] ?? -Infinity, y = b[0] ?? -Infinity;
        return (x < y ? -1 : x > y ? 1 : 0) * direction;
      }).map((pair) => pair[1]);
    }

    function render() {
      const matching = ordered(rows.filter((row) => options.match(row, state.values)));
      const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
      state.page = Math.min(state.page, pages - 1);
      const first = state.page * PAGE_SIZE;
      const visible = matching.slice(first, first + PAGE_SIZE);
      const body = el("tbody", {}, visible.map((row) => {
        const tr = el("tr", { tabIndex: 0 }, options.columns.map((column) =>
          el("td", { className: column.num ? "num" : column.nowrap ? "nowrap" : "" }, column.cell ? column.cell(row) : reveal(column.value(row)))));
        tr.addEventListener("click", () => options.open(row));
        tr.addEventListener("keydown", (event) => {
          if (event.key !== "Enter" && event.key !== " ") return;
          event.preventDefault();  /* else the same key press activates the dialog's close button */
          options.open(row);
        });
        return tr;
      }));
      table.replaceChildren(header(), body);
      count.dataset.total = String(matching.length);
      count.textContent = matching.length
        ? `Showing ${number(first + 1)}\u2013${number(first + visible.length)} of ${number(matching.length)} ${options.noun}`
        : (options.empty && options.empty(state.values)) || `No ${options.noun} match.`;
      const previous = el("button", { type: "button", disabled: state.page === 0 }, "\u2039 Previous");
      const next = el("button", { type: "button", disabled: state.page >= pages - 1 }, "Next \u203a");
      previous.addEventListener("click", () => { state.page -= 1; render(); });
      next.addEventListener("click", () => { state.page += 1; render(); });
      pager.replaceChildren(previous, el("span", {}, `page ${number(state.page + 1)} of ${number(pages)}`), next);
    }

    filters.addEventListener("input", () => { readFilters(); state.page = 0; render(); });
    readFilters();
    render();
    return { refresh: () => { readFilters(); state.page = 0; render(); } };
  }

  function fillSelect(container, filter, values, label) {
    const select = document.querySelector(`#${container} [data-filter="${filter}"]`);
    [...new Set(values)].filter((v) => v !== null && v !== "").sort().forEach((value) => {
      select.append(el("option", { value: value }, shorten(label ? label(value) : value, 60)));
    });
    return select;
  }

  /* ------------------------------------------------------------------ the detail dialog */
  const dialog = document.getElementById("detail");
  const closeButton = document.getElementById("detail-close");
  closeButton.addEventListener("click", () => dialog.close());
  let openedFrom = null;
  dialog.addEventListener("close", () => {
    if (openedFrom && document.contains(openedFrom)) openedFrom.focus();  /* focus returns to the row */
    openedFrom = null;
  });

  function showDetail(title, pairs) {
    document.getElementById("detail-title").textContent = reveal(title);
    const list = el("dl");
    for (const [label, value] of pairs) {
      if (value === null || value === undefined || value === "") continue;
      list.append(el("dt", {}, label), el("dd", {}, value instanceof Node ? value : reveal(value)));
    }
    document.getElementById("detail-body").replaceChildren(list);
    if (!dialog.open) {
      openedFrom = document.activeElement;
      dialog.showModal();
    }
    closeButton.focus();  /* focus moves into the dialog */
  }

  const evidenceList = (evidence) => el("dl", {}, Object.entries(evidence || {}).map(([key, value]) => [
    el("dt", {}, reveal(key)), el("dd", {}, reveal(typeof value === "string" ? value : JSON.stringify(value)))]));

  /* ------------------------------------------------------------------ findings */
  const controls = data.controls;
  const frameworkProviders = data.framework_providers || {};
  const findings = records("findings");
  findings.forEach((f, index) => {
    f.index = index;
    const control = controls[f.control] || { title: "", severity: "low", frameworks: {} };
    f.severity = control.severity;
    f.title = control.title;
    f.haystack = [f.control, control.title, f.uid, f.name, f.message, f.account].join("\n").toLowerCase();
  });
  const failingByHolder = new Map();
  findings.filter((f) => f.status === "fail").forEach((f) => {
    if (!failingByHolder.has(f.holder)) failingByHolder.set(f.holder, []);
    failingByHolder.get(f.holder).push(f);
  });
  const passedListed = findings.some((f) => f.status === "pass");
  /* an identity's or agent's failing findings (``count`` of them), each a link to its detail; past
     the report's limit the findings are grouped and hold no single holder: the count stands, the
     list is in results.json */
  function failingList(count, ...holders) {
    const found = holders.flatMap((uid) => failingByHolder.get(uid) || [])
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
    if (!found.length && count && data.grouped) {
      return number(count) + " (this report groups its findings by control and account; each one is in results.json)";
    }
    if (!found.length) return "none";
    return el("ul", { className: "finding-links" }, found.slice(0, 100).map((f) => {
      const link = el("button", { type: "button", className: "link" }, f.control + " " + shorten(f.title, 90));
      link.addEventListener("click", () => openFinding(f));
      return el("li", {}, badge(f.severity, "sev-"), " ", link, f.type !== "identity" && f.type !== "agent" ? " (" + reveal(f.type) + ")" : "");
    }), found.length > 100 ? el("li", {}, `and ${number(found.length - 100)} more (filter the findings by this name)`) : null);
  }
  fillSelect("finding-filters", "provider", findings.map((f) => f.provider));
  fillSelect("finding-filters", "account", findings.map((f) => f.account));
  fillSelect("finding-filters", "control", Object.keys(controls), (id) => id + " " + controls[id].title);
  fillSelect("finding-filters", "framework", Object.keys(data.frameworks), (id) => data.frameworks[id]);

  function findingMatches(f, v) {
    if (v.status === "" ? f.status === "pass" : v.status !== "*" && f.status !== v.status) return false;
    if (v.severity && f.severity !== v.severity) return false;
    if (v.provider && f.provider !== v.provider) return false;
    if (v.account && f.account !== v.account) return false;
    if (v.control && f.control !== v.control) return false;
    if (v.framework && !(v.framework in (controls[f.control] || {}).frameworks)) return false;
    /* a benchmark item is judged only on its own provider's resources: so is its findings list */
    if (v.framework && frameworkProviders[v.framework] && !frameworkProviders[v.framework].includes(f.provider)) return false;
    return !v.text || f.haystack.includes(v.text);
  }

  function openFinding(f) {
    const control = controls[f.control];
    const mappings = control.mappings && control.mappings.length ? control.mappings
      : Object.entries(control.frameworks).map(([id, items]) => (data.frameworks[id] || id) + ": " + items.join(", "));
    const waiver = f.waiver ? `${f.waiver.owner} \u00b7 expires ${f.waiver.expires} \u00b7 ${f.waiver.reason}` + (f.waiver.ticket ? ` \u00b7 ${f.waiver.ticket}` : "") : null;
    showDetail(f.control + " " + control.title, [
      ["Status", badge(f.status, "st-")], ["Severity", badge(f.severity, "sev-")],
      ["Resource", f.name], ["UID", text(f.uid, 400)], ["Type", f.type + " / " + f.kind],
      ["Provider", f.provider], ["Account", f.account],
      ["Location", f.location ? `${f.location.file}:${f.location.line}` : null], ["Message", f.message],
      ["Evidence", evidenceList(f.evidence)], ["Why it matters", control.rationale],
      ["Remediation", control.remediation], ["Frameworks", mappings.join("\n")], ["Waiver", waiver],
      ["New since baseline", f.new === null ? null : f.new ? "yes" : "no"], ["Fingerprint", f.fingerprint],
    ]);
  }

  const findingTable = DataTable({
    name: "findings", filters: "finding-filters", rows: findings, noun: "findings", open: openFinding,
    match: findingMatches, sort: 0, descending: true,
    empty: (v) => (v.status === "pass" && !passedListed
      ? "Passed results are not listed in this report: scan with --include-passed to list them. Each control\u2019s pass count is under Framework coverage."
      : null),
    columns: [
      { label: "Severity", value: (f) => f.severity, sort: (f) => SEVERITY_RANK[f.severity] * 1e6 - f.index, cell: (f) => badge(f.severity, "sev-") },
      { label: "Status", value: (f) => f.status, cell: (f) => badge(f.status, "st-") },
      { label: "Control", value: (f) => f.control, nowrap: true, cell: (f) => el("span", { title: f.title }, f.control) },
      { label: "Resource", value: (f) => f.name.toLowerCase(), cell: (f) => text(f.name || f.uid, 60) },
      { label: "Provider", value: (f) => f.provider },
      { label: "Account", value: (f) => f.account, cell: (f) => text(f.account, 40) },
      { label: "Message", value: (f) => f.message, cell: (f) => shorten(f.message, 160) },
    ],
  });

  document.querySelectorAll("button[data-control]").forEach((button) => button.addEventListener("click", () => {
    const filters = document.getElementById("finding-filters");
    filters.querySelector('[data-filter="control"]').value = button.dataset.control;
    /* from a framework's item: that framework's scope (its providers) too, as the item's counts are */
    filters.querySelector('[data-filter="framework"]').value = button.dataset.framework || "";
    filters.querySelector('[data-filter="status"]').value = "*";
    findingTable.refresh();
    document.getElementById("findings").scrollIntoView();
  }));

  /* ------------------------------------------------------------------ inventory */
  const credentialColumns = data.columns.credentials;
  const identities = records("identities");
  identities.forEach((i) => {
    i.creds = i.credentials.map((row) => Object.fromEntries(credentialColumns.map((c, n) => [c, row[n]])));
    const rotatable = i.creds.filter((c) => c.active === true && c.managed !== true);
    const ages = rotatable.map((c) => c.age).filter((a) => a !== null && a !== UNKNOWN);
    i.oldest = ages.length ? Math.max(...ages) : null;
    i.active = rotatable.length;
    i.haystack = [i.name, i.uid, i.owner, i.account, i.kind].join("\n").toLowerCase();
  });
  fillSelect("identity-filters", "provider", identities.map((i) => i.provider));
  fillSelect("identity-filters", "kind", identities.map((i) => i.kind));
  const inventoryMatch = (row, v) => (!v.provider || row.provider === v.provider) && (!v.kind || row.kind === v.kind)
    && (!v.text || row.haystack.includes(v.text));

  function openIdentity(i) {
    const credentials = el("table", { className: "grid" },
      el("thead", {}, el("tr", {}, ["Kind", "Age", "Last used", "Expires in", "State"].map((h) => el("th", {}, h)))),
      el("tbody", {}, i.creds.map((c) => el("tr", {}, el("td", {}, reveal(c.kind)), el("td", {}, days(c.age)),
        el("td", {}, ago(c.unused)), el("td", {}, c.expires_in === null ? "never" : days(c.expires_in)),
        el("td", {}, (c.active === UNKNOWN ? "state unknown" : c.active ? "active" : "inactive")
          + (c.managed === UNKNOWN ? ", management unknown" : c.managed ? ", provider-managed" : ""))))));
    showDetail(i.name, [["UID", text(i.uid, 400)], ["Kind", i.kind], ["Provider", i.provider], ["Account", i.account],
      ["Owner", i.owner || "none recorded"], ["Age", days(i.age)], ["Last used", ago(i.unused)],
      ["Credentials", partly(i, "credentials", i.creds.length ? credentials : null, "none")],
      ["Capabilities", listTags(i, "capabilities")],
      ["Failing findings", failingList(i.failing, i.uid)]]);
  }

  DataTable({
    name: "identities", filters: "identity-filters", rows: identities, noun: "identities", open: openIdentity,
    match: inventoryMatch, sort: 9, descending: true,
    columns: [
      { label: "Name", value: (i) => i.name.toLowerCase(), cell: (i) => text(i.name, 60) },
      { label: "Kind", value: (i) => i.kind },
      { label: "Provider", value: (i) => i.provider },
      { label: "Account", value: (i) => i.account, cell: (i) => text(i.account, 40) },
      { label: "Owner", value: (i) => i.owner, cell: (i) => i.owner ? shorten(i.owner, 40) : "\u2014" },
      { label: "Age", value: (i) => sortable(i.age), cell: (i) => days(i.age), num: true },
      { label: "Last used", value: (i) => sortable(i.unused), cell: (i) => (i.unused === null ? "never" : days(i.unused)), num: true },
      { label: "Active credentials", value: (i) => (unread(i, "credentials") ? -1 : i.active),
        cell: (i) => (unread(i, "credentials") ? (i.active ? number(i.active) + "+" : UNKNOWN) : number(i.active)), num: true },
      { label: "Oldest credential", value: (i) => i.oldest,
        cell: (i) => (i.oldest === null && unread(i, "credentials") ? UNKNOWN : days(i.oldest)), num: true },
      { label: "Failing", value: (i) => i.failing, num: true },
      { label: "Capabilities", value: (i) => i.capabilities.length, cell: (i) => listTags(i, "capabilities") },
    ],
  });

  const agents = records("agents");
  agents.forEach((a) => { a.haystack = [a.name, a.uid, a.platform, a.runtime, a.owner, ...a.tools, ...a.capabilities].join("\n").toLowerCase(); });
  fillSelect("agent-filters", "provider", agents.map((a) => a.provider));
  const yesNo = (value) => (value === null || value === undefined || value === UNKNOWN ? UNKNOWN : value ? "yes" : "no");

  DataTable({
    name: "agents", filters: "agent-filters", rows: agents, noun: "agents", match: inventoryMatch, sort: 7, descending: true,
    open: (a) => showDetail(a.name, [["UID", text(a.uid, 400)], ["Platform", a.platform], ["Provider", a.provider],
      ["Account", a.account], ["Runs as", a.runtime || "no runtime identity recorded"], ["Owner", a.owner || "none recorded"],
      ["Tools", listTags(a, "tools")], ["Capabilities", listTags(a, "capabilities")], ["Guardrail", a.guardrail || "none"],
      ["Human approval", yesNo(a.approval)], ["Failing findings", failingList(a.failing, a.uid, a.runs_as_uid)]]),
    columns: [
      { label: "Agent", value: (a) => a.name.toLowerCase(), cell: (a) => text(a.name, 50) },
      { label: "Platform", value: (a) => a.platform },
      { label: "Account", value: (a) => a.account, cell: (a) => text(a.account, 30) },
      { label: "Runs as", value: (a) => a.runtime, cell: (a) => a.runtime ? text(a.runtime, 40) : "\u2014" },
      { label: "Tools", value: (a) => a.tools.length, cell: (a) => listTags(a, "tools") },
      { label: "Capabilities", value: (a) => a.capabilities.length, cell: (a) => listTags(a, "capabilities") },
      { label: "Human approval", value: (a) => yesNo(a.approval) },
      { label: "Failing", value: (a) => a.failing, num: true },
    ],
  });

  const logs = records("logs");
  const retention = (n) => (n === null ? "no limit" : days(n));  /* null: kept without limit */
  logs.forEach((l) => { l.haystack = [l.name, l.kind, l.account, l.scope].join("\n").toLowerCase(); });
  fillSelect("log-filters", "provider", logs.map((l) => l.provider));
  DataTable({
    name: "logs", filters: "log-filters", rows: logs, noun: "log sources", match: inventoryMatch, sort: 0,
    open: (l) => showDetail(l.name, [["Kind", l.kind], ["Provider", l.provider], ["Account", l.account], ["Scope", l.scope],
      ["Enabled", yesNo(l.enabled)], ["Covers", l.covers === UNKNOWN ? UNKNOWN : (l.covers || []).join(", ")],
      ["Retention", retention(l.retention)]]),
    columns: [
      { label: "Name", value: (l) => l.name.toLowerCase(), cell: (l) => text(l.name, 60) },
      { label: "Kind", value: (l) => l.kind },
      { label: "Provider", value: (l) => l.provider },
      { label: "Account", value: (l) => l.account, cell: (l) => text(l.account, 40) },
      { label: "Enabled", value: (l) => yesNo(l.enabled), cell: (l) => (l.enabled === UNKNOWN ? el("span", { className: "badge st-unknown" }, UNKNOWN)
        : badge(l.enabled ? "enabled" : "disabled", l.enabled ? "st-pass " : "st-fail ")) },
      { label: "Covers", value: (l) => (l.covers === UNKNOWN ? UNKNOWN : (l.covers || []).join(", ")), cell: (l) => (l.covers === UNKNOWN ? UNKNOWN : tags(l.covers)) },
      { label: "Retention", value: (l) => (l.retention === null ? Infinity : sortable(l.retention)), cell: (l) => retention(l.retention), num: true },
    ],
  });

  window.addEventListener("beforeprint", () => { document.querySelectorAll("details").forEach((d) => { d.open = true; }); });
})();
