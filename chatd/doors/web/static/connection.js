// The page's WebSocket to chatd: JSON in and out, and reconnecting with backoff when it drops.
//
// The connection knows nothing of rooms; it tells the page when it is open, each message, and
// when it is down (with when it will try again, or that it has given up).

/** Delays between attempts, in seconds; after the last, the page says it cannot reconnect. */
export const BACKOFF = [0.5, 1, 2, 4, 8, 15, 30, 30, 30, 30];

export class ChatSocket {
  constructor(url, { onOpen, onMessage, onDown }) {
    this.url = url;
    this.onOpen = onOpen;
    this.onMessage = onMessage;
    this.onDown = onDown;
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
    this.stopped = false;
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempt = 0;
      this.onOpen();
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // chatd sends only JSON; anything else is not for us
      }
      this.onMessage(message);
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (this.attempt >= BACKOFF.length) {
        this.onDown({ givenUp: true });
        return;
      }
      const delay = BACKOFF[this.attempt++];
      this.onDown({ givenUp: false, seconds: delay });
      this.timer = setTimeout(() => this.connect(), delay * 1000);
    });
  }

  /** Try again now, after the page gave up or while it waits. */
  retry() {
    this.attempt = 0;
    if (!this.socket) this.connect();
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  /** Close for good: the user quit. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close();
  }
}
