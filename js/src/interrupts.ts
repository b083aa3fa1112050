// The interrupt panel: answer a run's pending interrupts where they are shown. A standard payload
// (LangChain's HumanInTheLoopMiddleware, the Agent Inbox schema) gets one control per allowed
// decision for each action it asks about; any other payload a text/JSON field. Every pending
// interrupt is answered by the one Send (resume by interrupt id), so a run that stopped on several
// interrupts at once goes on in one step. The kernel starts the next run and this view follows it.
import type { Context } from "./context";
import { h, namespaceLabel, shortId } from "./dom";
import { jsonView } from "./json";
import { copyButton, resumeLine } from "./python";
import type { DecisionType, InterruptAction, InterruptInfo } from "./types";

const LABELS: Record<DecisionType, string> = {
  approve: "Approve",
  edit: "Edit",
  reject: "Reject",
  respond: "Respond",
};

/** What the user decided for one action, in the front end's one vocabulary. */
export type Decision =
  | { type: "approve" }
  | { type: "edit"; args: Record<string, unknown> }
  | { type: "reject"; message: string }
  | { type: "respond"; message: string };

/** The key of an interrupt's answer in a resume request ("" when the server gave no id). */
export function answerKey(info: InterruptInfo): string {
  return info.id ?? "";
}

/** A "value" interrupt's answer: the text as JSON when it parses, else the text itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The resume value of a standard interrupt, one decision per action in order: the format its
 * middleware reads (LangChain's HumanInTheLoopMiddleware: `{decisions: [...]}`; the agent inbox:
 * one response per action). */
export function resumeValue(info: InterruptInfo, decisions: Decision[]): unknown {
  if (info.kind === "inbox") return info.actions.map((action, i) => inboxResponse(action, decisions[i]));
  return { decisions: info.actions.map((action, i) => hitlDecision(action, decisions[i])) };
}

function hitlDecision(action: InterruptAction, decision: Decision): Record<string, unknown> {
  switch (decision.type) {
    case "approve":
      return { type: "approve" };
    case "edit":
      return { type: "edit", edited_action: { name: action.name, args: decision.args } };
    case "reject":
      return decision.message ? { type: "reject", message: decision.message } : { type: "reject" };
    case "respond":
      return { type: "respond", message: decision.message };
  }
}

function inboxResponse(action: InterruptAction, decision: Decision): Record<string, unknown> {
  switch (decision.type) {
    case "approve":
      return { type: "accept", args: null };
    case "edit":
      return { type: "edit", args: { action: action.name, args: decision.args } };
    case "reject":
      return { type: "ignore", args: null };
    case "respond":
      return { type: "response", args: decision.message };
  }
}

/** A field's text as a JSON object, or the sentence to show under the field. */
export function parseObject(
  text: string,
  what: string,
): { value: Record<string, unknown> } | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      invalid: `Not valid JSON, nothing was sent: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return { invalid: `${what} must be a JSON object ({…}); nothing was sent.` };
  return { value: value as Record<string, unknown> };
}

/** One part of the form: reads its answer, or shows why it cannot (and returns null); `quiet`
 * reads without marking anything (for the Python line kept up to date as the user chooses). */
interface Field {
  read(quiet?: boolean): Decision | string | null;
}

/** The panel for the header's pending interrupts; read-only views show them without controls. */
export function interruptsView(ctx: Context, interrupts: InterruptInfo[]): HTMLElement {
  const controls = !ctx.readOnly;
  const forms: Array<{ info: InterruptInfo; fields: Field[] }> = [];
  const blocks = interrupts.map((info) => {
    const fields: Field[] = [];
    forms.push({ info, fields });
    const where = info.namespace.length ? ` in ${namespaceLabel(info.namespace.join("|"))}` : "";
    const block = h(
      "div",
      { class: "lgw-interrupt", testid: "interrupt" },
      h(
        "div",
        { class: "lgw-subtitle" },
        `Interrupt ${shortId(info.id)}${where}${info.kind === "value" ? "" : ` · ${info.actions.length} action${info.actions.length === 1 ? "" : "s"} to review`}`,
      ),
    );
    block.dataset.id = info.id ?? "";
    block.dataset.kind = info.kind;
    if (info.kind === "value") {
      block.appendChild(jsonView(info.value, "value", 2));
      if (controls) {
        const field = h("textarea", {
          class: "lgw-field",
          testid: "resume-value",
          rows: "2",
          placeholder: "Resume value: JSON, or plain text",
        });
        block.appendChild(field);
        fields.push({ read: () => field.value });
      }
      return block;
    }
    for (const action of info.actions) {
      const { el, field } = actionView(action, info.kind, controls);
      block.appendChild(el);
      if (field) fields.push(field);
    }
    return block;
  });
  const root = h("div", { class: "lgw-interrupt-list" }, ...blocks);
  if (!controls) return root;

  const onlyValues = interrupts.every((info) => info.kind === "value");
  const send = h(
    "button",
    { class: "lgw-button lgw-primary", type: "button", testid: "send-resume" },
    onlyValues ? "Resume" : "Send",
  );
  const problem = h("div", { class: "lgw-field-error", testid: "resume-error", hidden: true });
  const status = h("span", { class: "lgw-muted", testid: "resume-status" });
  const setBusy = (busy: boolean) => {
    for (const el of root.querySelectorAll<HTMLButtonElement | HTMLTextAreaElement | HTMLInputElement>(
      "button, textarea, input",
    ))
      el.disabled = busy;
  };
  const fail = (sentence: string) => {
    problem.hidden = false;
    problem.textContent = sentence;
  };
  /** Every interrupt's answer by id, or null while one is missing or invalid. */
  const collect = (quiet: boolean): Record<string, unknown> | null => {
    const answers: Record<string, unknown> = {};
    let missing = false;
    for (const { info, fields } of forms) {
      const read = fields.map((field) => field.read(quiet));
      if (read.some((answer) => answer === null)) {
        missing = true;
        continue;
      }
      answers[answerKey(info)] =
        info.kind === "value" ? parseValue(read[0] as string) : resumeValue(info, read as Decision[]);
    }
    return missing ? null : answers;
  };
  // the same answer as a line of Python, shown once every action has a valid decision
  const code = h("code", { class: "lgw-python", testid: "python-resume" });
  const python = h(
    "div",
    { class: "lgw-python-lines", hidden: true },
    h(
      "div",
      {},
      code,
      copyButton(() => code.textContent ?? ""),
    ),
  );
  const refresh = () => {
    const answers = collect(true);
    python.hidden = answers === null;
    code.textContent = answers === null ? "" : resumeLine(answers);
  };
  root.addEventListener("click", refresh);
  root.addEventListener("input", refresh, true); // capture: a field's input need not bubble
  send.addEventListener("click", () => {
    problem.hidden = true;
    status.textContent = "";
    const answers = collect(false);
    if (answers === null) {
      fail("Nothing was sent: choose a decision for every action and fix the fields marked above.");
      return;
    }
    setBusy(true);
    send.textContent = "Sending…";
    ctx.kernel.request({ type: "resume", answers }).then(
      (answer) => {
        if ("error" in answer) {
          setBusy(false);
          send.textContent = onlyValues ? "Resume" : "Send";
          fail(answer.error);
          return;
        }
        // stays disabled: the view continues with the next run, which replaces this panel
        send.textContent = "Sent";
        status.textContent = `continuing in run ${shortId(answer.run_id)}`;
      },
      (err: unknown) => {
        setBusy(false);
        send.textContent = onlyValues ? "Resume" : "Send";
        fail(`Sending the answer failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  });
  root.appendChild(h("div", { class: "lgw-interrupt-send" }, send, status));
  root.appendChild(problem);
  root.appendChild(python);
  refresh();
  return root;
}

/** One action of a standard interrupt: what it asks, and (with controls) a decision for it. */
function actionView(
  action: InterruptAction,
  kind: InterruptInfo["kind"],
  controls: boolean,
): { el: HTMLElement; field: Field | null } {
  const el = h(
    "div",
    { class: "lgw-action", testid: "interrupt-action" },
    h(
      "div",
      { class: "lgw-action-head" },
      h("span", { class: "lgw-action-name", testid: "action-name" }, action.name),
      action.description ? h("span", { class: "lgw-muted" }, action.description) : null,
    ),
    jsonView(action.args, "args", 1),
  );
  el.dataset.action = action.name;
  if (!controls) return { el, field: null };

  let chosen: DecisionType | null = null;
  const hint = h("div", { class: "lgw-field-error", testid: "decision-error", hidden: true });
  const editArgs = h("textarea", { class: "lgw-field lgw-code", testid: "edit-args", rows: "4" });
  editArgs.value = JSON.stringify(action.args, null, 2);
  const editError = h("div", { class: "lgw-field-error", testid: "edit-error", hidden: true });
  const rejectMessage = h("input", {
    class: "lgw-field",
    testid: "reject-message",
    type: "text",
    placeholder: "Why (optional, told to the model)",
  });
  const respondText = h("textarea", {
    class: "lgw-field",
    testid: "respond-text",
    rows: "2",
    placeholder: "The answer the model gets in place of the tool's result",
  });
  const respondError = h("div", { class: "lgw-field-error", testid: "respond-error", hidden: true });
  const panes: Partial<Record<DecisionType, HTMLElement>> = {
    edit: h("div", { class: "lgw-decision-field" }, editArgs, editError),
    // the Agent Inbox's "ignore" carries no message
    reject: kind === "hitl" ? h("div", { class: "lgw-decision-field" }, rejectMessage) : undefined,
    respond: h("div", { class: "lgw-decision-field" }, respondText, respondError),
  };
  const buttons = new Map<DecisionType, HTMLButtonElement>();
  const choose = (type: DecisionType) => {
    chosen = type;
    hint.hidden = true;
    for (const [name, button] of buttons) button.setAttribute("aria-pressed", String(name === type));
    for (const [name, pane] of Object.entries(panes)) if (pane) pane.hidden = name !== type;
  };
  for (const type of action.allowed) {
    const button = h(
      "button",
      { class: "lgw-button lgw-decision", type: "button", testid: `decide-${type}`, "aria-pressed": "false" },
      LABELS[type],
    );
    button.addEventListener("click", () => choose(type));
    buttons.set(type, button);
  }
  el.appendChild(h("div", { class: "lgw-decisions" }, ...buttons.values()));
  for (const type of action.allowed) {
    const pane = panes[type];
    if (pane) {
      pane.hidden = true;
      el.appendChild(pane);
    }
  }
  el.appendChild(hint);
  editArgs.addEventListener("input", () => {
    editError.hidden = true;
  });

  const read = (quiet = false): Decision | null => {
    switch (chosen) {
      case null:
        if (!quiet) {
          hint.hidden = false;
          hint.textContent = `Choose what to do with ${action.name}.`;
        }
        return null;
      case "approve":
        return { type: "approve" };
      case "edit": {
        const args = parseObject(editArgs.value, "The arguments");
        if ("invalid" in args) {
          if (!quiet) {
            editError.hidden = false;
            editError.textContent = args.invalid;
          }
          return null;
        }
        return { type: "edit", args: args.value };
      }
      case "reject":
        return { type: "reject", message: kind === "hitl" ? rejectMessage.value.trim() : "" };
      case "respond":
        if (!respondText.value.trim()) {
          if (!quiet) {
            respondError.hidden = false;
            respondError.textContent = "Write the answer to send in place of the tool's result.";
          }
          return null;
        }
        if (!quiet) respondError.hidden = true;
        return { type: "respond", message: respondText.value };
    }
  };
  return { el, field: { read } };
}
