// What the user chose in a view (tab, namespace), kept per view. JupyterLab re-creates a widget's
// view when its output is replaced, which happens as each run the view shows ends (the final
// copy, see lg_widgets/view/display.py): the new view opens where the old one was. Keyed by the
// start of the view's first run, since anywidget hands each view its own model object and a view
// goes on with later runs of its thread; views of one run share their choices.
import type { Header } from "./types";

export type Tab = "messages" | "timeline" | "graph" | "events";

export interface Choices {
  tab?: Tab;
  namespace?: string | null;
}

export const choices = new Map<string, Choices>();

export function choicesOf(header: Header | null): Choices {
  if (!header) return {};
  const key = `${header.assistant_id}|${header.runs?.[0]?.started_at ?? header.started_at}`;
  let kept = choices.get(key);
  if (!kept) choices.set(key, (kept = {}));
  return kept;
}
