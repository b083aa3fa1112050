// The Python a view action corresponds to, shown so the user can reproduce it in a cell.
import { h } from "./dom";

/** A JSON value written as a Python literal (None/True/False; JSON strings are Python strings). */
export function pythonLiteral(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "None";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(", ")}]`;
  if (typeof value === "object")
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${JSON.stringify(key)}: ${pythonLiteral(item)}`)
      .join(", ")}}`;
  return JSON.stringify(String(value));
}

/** The kernel's fork line (`run.fork(checkpoint_id="…")`) with `values=` added when edited. */
export function forkLine(line: string, values: string | null): string {
  if (!values || !line.endsWith(")")) return line;
  return `${line.slice(0, -1)}${line.endsWith("()") ? "" : ", "}values=${values})`;
}

/** The `run.resume(...)` line that sends the same answers as the view (by interrupt id; the
 * bare value when the one interrupt has no id). */
export function resumeLine(answers: Record<string, unknown>): string {
  const keys = Object.keys(answers);
  return `run.resume(${pythonLiteral(keys.length === 1 && keys[0] === "" ? answers[""] : answers)})`;
}

/** A button copying a line of Python (read when clicked: the line may change as the user edits). */
export function copyButton(text: () => string): HTMLButtonElement {
  const button = h("button", { class: "lgw-button", type: "button", testid: "copy-python" }, "copy");
  button.addEventListener("click", () => {
    const done = (label: string) => {
      button.textContent = label;
      setTimeout(() => (button.textContent = "copy"), 900);
    };
    const clipboard = navigator.clipboard;
    if (!clipboard) return done("no clipboard");
    void clipboard.writeText(text()).then(
      () => done("copied"),
      () => done("copy failed"),
    );
  });
  return button;
}
