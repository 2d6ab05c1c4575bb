// Building the page from data without ever parsing it as HTML: every value goes in as text.

/** An element with attributes, properties, listeners (`onclick`) and children (nodes or text). */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'value' || name === 'checked') element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

let fieldCount = 0;

/** A labelled control: the label names it for screen readers and for tests. */
export function field(label, control, hint) {
  control.id ||= `field-${++fieldCount}`;
  const hintId = hint ? `${control.id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint && h('small', { id: hintId }, hint));
}

export const input = (props = {}) => h('input', { type: 'text', ...props });

export function select(options, props = {}) {
  return h('select', props, options.map(([value, label]) => h('option', { value }, label)));
}

/** A status line for an action's outcome; errors are announced at once. */
export function notice() {
  // Focusable from code (tabindex -1), so focus can land on an outcome whose control is gone.
  const element = h('p', { class: 'notice', role: 'status', tabindex: '-1' });
  return {
    element,
    show(text, kind = 'ok') {
      element.textContent = text;
      element.className = `notice ${kind}`;
      element.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    },
    clear() {
      element.textContent = '';
      element.className = 'notice';
    },
  };
}

/** Asks before something that cannot be undone; resolves true when confirmed. */
export function confirmAction(question, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-question', role: 'alertdialog' });
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    dialog.append(
      h('p', { id: 'confirm-question' }, question),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', onclick: () => done(true) }, confirmLabel), h('button', { type: 'button', onclick: () => done(false) }, 'Cancel')),
    );
    dialog.addEventListener('cancel', () => done(false));
    document.body.append(dialog);
    dialog.showModal();
    // Enter right away must not destroy anything: Cancel has the focus.
    dialog.querySelector('.actions button:last-child').focus();
  });
}

/** Copies text, saying so on the button. */
export function copyButton(text, label) {
  const button = h('button', { type: 'button', class: 'small' }, label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy failed: select the text';
    }
    setTimeout(() => (button.textContent = label), 2000);
  });
  return button;
}

export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}
