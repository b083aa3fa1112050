// What the user chose in a view (tab, namespace), kept per run. JupyterLab re-creates a widget's
// view when its output is replaced, which happens once per run (the run's final copy, see
// lg_widgets/view/display.py): the new view opens where the old one was. Keyed by the run's start,
// since anywidget hands each view its own model object; views of one run share their choices.
import type { Tab } from "./index";
import type { Header } from "./types";

export interface Choices {
  tab?: Tab;
  namespace?: string | null;
}

export const choices = new Map<string, Choices>();

export function choicesOf(header: Header | null): Choices {
  if (!header) return {};
  const key = `${header.assistant_id}|${header.started_at}`;
  let kept = choices.get(key);
  if (!kept) choices.set(key, (kept = {}));
  return kept;
}
