// CodeMirror 6 set-up for Bash and PowerShell (legacy stream modes). Loaded on demand by editor.js,
// so the first page load does not carry it. Token colours come from main.css (.tok-* classes), so no
// inline <style> is needed (CodeMirror's own base styles use constructable stylesheets, CSP-safe).
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, indentOnInput, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { powerShell } from "@codemirror/legacy-modes/mode/powershell";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
import { Compartment, EditorState } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";

// The dark, glassy editor chrome. Kept here (not in main.css) because CodeMirror's base theme is an
// adopted stylesheet, which comes after the page's stylesheets in the cascade.
const glassTheme = EditorView.theme(
  {
    "&": { color: "#dbe2f0", backgroundColor: "transparent", fontSize: "13px" },
    "&.cm-focused": { outline: "2px solid #fbbf24", outlineOffset: "-2px" },
    ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.55" },
    ".cm-content": { caretColor: "#22d3ee" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: "#22d3ee" },
    "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection": {
      backgroundColor: "rgba(99, 102, 241, 0.38)",
    },
    ".cm-gutters": { backgroundColor: "rgba(255, 255, 255, 0.03)", color: "#6b7489", borderRight: "1px solid rgba(255, 255, 255, 0.09)" },
    ".cm-activeLine": { backgroundColor: "rgba(129, 140, 248, 0.07)" },
    ".cm-activeLineGutter": { backgroundColor: "rgba(129, 140, 248, 0.14)", color: "#e6e9f2" },
    ".cm-matchingBracket, &.cm-focused .cm-matchingBracket": { backgroundColor: "rgba(34, 211, 238, 0.18)", outline: "1px solid rgba(34, 211, 238, 0.5)" },
    ".cm-selectionMatch": { backgroundColor: "rgba(251, 191, 36, 0.15)" },
    ".cm-panels": { backgroundColor: "rgba(14, 18, 34, 0.98)", color: "#e6e9f2" },
    ".cm-panels.cm-panels-top": { borderBottom: "1px solid rgba(255, 255, 255, 0.09)" },
    ".cm-textfield": { backgroundColor: "rgba(255, 255, 255, 0.06)", border: "1px solid rgba(255, 255, 255, 0.16)", color: "#e6e9f2", borderRadius: "6px" },
    ".cm-button": { backgroundImage: "none", backgroundColor: "rgba(255, 255, 255, 0.08)", border: "1px solid rgba(255, 255, 255, 0.16)", color: "#e6e9f2", borderRadius: "6px" },
    ".cm-searchMatch": { backgroundColor: "rgba(251, 191, 36, 0.25)", outline: "1px solid rgba(251, 191, 36, 0.5)" },
  },
  { dark: true },
);

const LANGUAGES = {
  bash: StreamLanguage.define(shell),
  powershell: StreamLanguage.define(powerShell),
};

export function languageFor(type) {
  return type === "powershell" || type === "ps1" ? LANGUAGES.powershell : LANGUAGES.bash;
}

export function mountCodeMirror(parent, { doc = "", type = "bash", readOnly = false, label = "", onChange, onSave }) {
  const language = new Compartment();
  const editable = new Compartment();
  const saveKeymap = keymap.of([
    {
      key: "Mod-s",
      preventDefault: true,
      run: () => {
        if (onSave) onSave();
        return true;
      },
    },
  ]);
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        search({ top: true }),
        glassTheme,
        syntaxHighlighting(classHighlighter),
        saveKeymap,
        // Tab indents; Escape then Tab moves focus on (CodeMirror's documented escape hatch).
        keymap.of([indentWithTab, ...defaultKeymap, ...historyKeymap, ...searchKeymap]),
        language.of(languageFor(type)),
        editable.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && onChange) onChange();
        }),
      ],
    }),
  });

  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    setType(next) {
      view.dispatch({ effects: language.reconfigure(languageFor(next)) });
    },
    setReadOnly(ro) {
      view.dispatch({ effects: editable.reconfigure([EditorState.readOnly.of(ro), EditorView.editable.of(!ro)]) });
    },
    setLabel(text) {
      view.contentDOM.setAttribute("aria-label", text);
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
