// seqrec in Electron's main process: the model lives here (native memory, off the renderer), the
// window asks through IPC. Each native call runs off the main thread (seqrec's job pool), so the
// window never stalls; a session per window keeps its user's keys and values between clicks.
import { BrowserWindow, app, ipcMain } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from 'seqrec';

const here = dirname(fileURLToPath(import.meta.url));
const modelPath = process.env.SEQREC_MODEL ?? join(here, 'model.safetensors');

app.whenReady().then(async () => {
  const model = await loadModel(modelPath, { inference: true, threads: 2 });
  const sessions = new Map(); // webContents id → model.session()

  ipcMain.handle('recommend', async (event, { clicked, k = 10 }) => {
    const id = event.sender.id;
    if (!sessions.has(id)) sessions.set(id, model.session());
    const session = sessions.get(id);
    if (clicked !== undefined) session.append(clicked);
    return session.recommend({ k, explain: true });
  });

  const window = new BrowserWindow({ width: 900, height: 700, webPreferences: { preload: join(here, 'preload.cjs') } });
  window.webContents.on('destroyed', () => sessions.get(window.webContents.id)?.dispose());
  await window.loadFile(join(here, 'index.html'));

  app.on('window-all-closed', async () => {
    await Promise.all([...sessions.values()].map((s) => s.dispose()));
    await model.dispose(); // waits for calls in flight
    app.quit();
  });
});
