// The one function the window may call: recommendations for its session, optionally after a click.
const { contextBridge, ipcRenderer } = require('electron');

contextBridge.exposeInMainWorld('seqrec', { recommend: (request) => ipcRenderer.invoke('recommend', request) });
