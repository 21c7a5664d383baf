// Entry point: VS Code calls `activate` in a workspace holding a Pact project (or when a JSON or
// Python file opens) and `deactivate` on shutdown. Everything else lives in `controller.ts` and
// the pure modules it uses.

import type * as vscode from 'vscode';
import { Controller } from './controller';

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<Controller> {
  controller = new Controller();
  context.subscriptions.push({ dispose: () => void controller?.dispose() });
  await controller.activate();
  return controller;
}

export async function deactivate(): Promise<void> {
  const c = controller;
  controller = undefined;
  await c?.dispose();
}
