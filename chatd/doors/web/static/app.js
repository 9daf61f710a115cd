// chatd's web page: the JSON protocol (docs/web-protocol.md) drawn as rooms, messages and
// members.  Every piece of text reaches the page as a text node (textContent), never as HTML.
//
// Each room keeps the lines it has by sequence number, so a line is shown once and in its place
// whether it arrived live, in a join's replay, or in an answer to a history request.  After a
// reconnect the page joins its rooms again and asks each for the lines after the last it has.
//
// The server does not echo a user's own lines; the page turns receipts on, shows each line it
// sends as pending, and gives it its seq and time when its receipt comes.

import { ChatSocket } from "./connection.js";

const HISTORY_PAGE = 50;
/** Refusals after which the page must not reconnect by itself. */
const FINAL = new Set(["kicked", "banned"]);
const HISTORY_MOST = 500;
const LOBBY = "#lobby";

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function key(room) {
  return room.toLowerCase();
}

/** One room as the page knows it: its lines by seq, its members, its topic, its unread count. */
class Room {
  constructor(name) {
    this.name = name;
    this.list = element("ol", "lines");
    this.list.hidden = true;
    this.seqs = new Set();
    this.members = [];
    this.topic = null;
    this.unread = 0;
    this.pending = []; // our own lines, oldest first, waiting for their receipts
    this.loadingOlder = false;
    this.noOlder = false;
  }

  get lastSeq() {
    let last = 0;
    for (const seq of this.seqs) last = Math.max(last, seq);
    return last;
  }

  get firstSeq() {
    let first = Infinity;
    for (const seq of this.seqs) first = Math.min(first, seq);
    return first === Infinity ? 0 : first;
  }

  /** Put a line where its seq says; false if the room has it already. */
  place(item, seq) {
    if (this.seqs.has(seq)) return false;
    this.seqs.add(seq);
    item.dataset.seq = String(seq);
    let before = null;
    for (let node = this.list.lastElementChild; node; node = node.previousElementSibling) {
      if (node.dataset.seq === undefined) continue;
      if (Number(node.dataset.seq) < seq) break;
      before = node;
    }
    if (before) {
      this.list.insertBefore(item, before);
    } else {
      this.list.append(item);
    }
    return true;
  }
}

class Page {
  constructor() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.socket = new ChatSocket(`${scheme}//${location.host}/ws`, {
      onOpen: () => this.opened(),
      onMessage: (message) => this.received(message),
      onDown: (how) => this.down(how),
    });
    this.me = null;
    this.wanted = null; // the name to choose again after a reconnect
    this.password = null; // its password, if registered: kept in memory only, for reconnects
    this.rooms = new Map();
    this.current = null;
    this.resuming = false;
    this.bindForms();
  }

  start() {
    this.socket.connect();
  }

  // The connection

  opened() {
    this.status("Connected");
    this.resuming = this.wanted !== null;
  }

  down({ givenUp, seconds }) {
    this.me = null;
    for (const room of this.rooms.values()) {
      for (const item of room.pending) {
        item.classList.replace("pending", "unconfirmed");
        item.title = "Not confirmed: the connection dropped before the server stored it";
      }
      room.pending = [];
    }
    if (givenUp) {
      this.status("Cannot reach the chat server. ", "Try again", () => this.socket.retry());
    } else {
      this.status(`Connection lost. Reconnecting in ${seconds} s…`);
    }
  }

  status(text, action, onAction) {
    const bar = $("status");
    bar.replaceChildren(document.createTextNode(text));
    if (action) {
      const button = element("button", "", action);
      button.type = "button";
      button.addEventListener("click", onAction);
      bar.append(button);
      button.focus();
    }
  }

  send(message) {
    if (!this.socket.send(message)) this.notice(this.room(), "Not connected: not sent.", "error");
  }

  // Forms

  bindForms() {
    $("join-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const name = $("name").value.trim();
      if (!name) return;
      $("join-error").textContent = "";
      if (!$("password-row").hidden && name === this.wanted) {
        this.password = $("password").value;
        $("password").value = "";
        this.send({ type: "password", password: this.password });
        return;
      }
      this.wanted = name;
      this.password = null;
      this.send({ type: "name", name });
    });
    $("say-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("message");
      const text = input.value;
      if (!text.trim()) return;
      if (text.startsWith("/me ")) {
        this.sendLine("act", text.slice(4));
      } else if (text.startsWith("/") && !text.startsWith("//")) {
        this.send({ type: "command", line: text });
      } else {
        this.sendLine("say", text.startsWith("//") ? text.slice(1) : text);
      }
      input.value = "";
    });
    $("room-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("new-room");
      let name = input.value.trim();
      if (!name) return;
      if (!name.startsWith("#")) name = `#${name}`;
      this.send({ type: "join", room: name });
      input.value = "";
    });
    $("messages").addEventListener("scroll", () => {
      if ($("messages").scrollTop < 40) this.loadOlder();
    });
  }

  sendLine(type, text) {
    const room = this.room();
    if (!this.socket.send({ type, room: room.name, text })) {
      this.notice(room, "Not connected: not sent.", "error");
      return;
    }
    const item = this.lineItem({ type: type === "act" ? "acted" : "said", name: this.me, text });
    item.classList.add("pending");
    item.title = "Sending…";
    room.list.append(item);
    room.pending.push(item);
    $("messages").scrollTop = $("messages").scrollHeight;
  }

  // What the server says

  received(message) {
    const handler = this.handlers[message.type];
    if (handler) handler.call(this, message);
  }

  get handlers() {
    return {
      hello() {},
      motd(m) {
        $("motd").append(element("li", "", m.text));
      },
      ask_name() {
        $("password-row").hidden = true;
        if (this.resuming && this.wanted && this.password) {
          this.send({ type: "login", name: this.wanted, password: this.password });
        } else if (this.resuming && this.wanted) {
          this.send({ type: "name", name: this.wanted });
        } else {
          this.showJoin();
        }
      },
      ask_password(m) {
        this.resuming = false;
        this.wanted = m.name;
        this.showJoin();
        $("name").value = m.name;
        $("password-row").hidden = false;
        $("password").focus();
      },
      welcome(m) {
        this.me = m.name;
        this.wanted = m.name;
        this.showChat();
        this.room(LOBBY);
        this.send({ type: "receipts", on: true });
        if (this.resuming) {
          this.resume();
        } else {
          this.switchTo(LOBBY);
          this.send({ type: "who", room: LOBBY });
          this.send({ type: "topic", room: LOBBY });
        }
        this.resuming = false;
      },
      online() {},
      error(m) {
        if (FINAL.has(m.code)) {
          this.socket.stop();
          this.status(m.text);
        }
        if (m.code === "wrong_password") this.password = null;
        if (this.me === null) {
          this.resuming = false;
          this.showJoin();
          $("join-error").textContent = m.text;
        } else {
          this.notice(this.room(), m.text, "error");
        }
      },
      said(m) {
        this.line(m);
      },
      acted(m) {
        this.line(m);
      },
      history(m) {
        const room = this.room(m.room);
        const list = $("messages");
        const fromBottom = list.scrollHeight - list.scrollTop;
        let added = 0;
        for (const line of m.lines) if (this.line(line, true)) added++;
        if (room.loadingOlder) {
          room.loadingOlder = false;
          if (added === 0) room.noOlder = true;
          if (room === this.room()) list.scrollTop = list.scrollHeight - fromBottom;
        } else if (m.lines.length >= HISTORY_MOST) {
          // More than one answer's worth was missed: ask for the rest.
          this.send({ type: "history", room: m.room, after: room.lastSeq, limit: HISTORY_MOST });
        }
      },
      joined(m) {
        const room = this.room(m.room);
        this.addMember(room, m.name);
        this.notice(room, `${m.name} has joined the chat`);
      },
      room_joined(m) {
        const room = this.room(m.room);
        this.addMember(room, m.name);
        this.notice(room, `${m.name} has joined ${m.room}`);
      },
      parted(m) {
        const room = this.room(m.room);
        this.removeMember(room, m.name);
        this.notice(room, `${m.name} has left ${m.room}${m.reason ? ` (${m.reason})` : ""}`);
      },
      left(m) {
        this.leftEverywhere(m.name, `${m.name} has left the chat${m.reason ? ` (${m.reason})` : ""}`);
      },
      renamed(m) {
        for (const room of this.rooms.values()) {
          if (room.members.includes(m.old)) {
            this.removeMember(room, m.old);
            this.addMember(room, m.new);
            this.notice(room, `${m.old} is now known as ${m.new}`);
          }
        }
      },
      name_changed(m) {
        for (const room of this.rooms.values()) {
          if (room.members.includes(this.me)) {
            this.removeMember(room, this.me);
            this.addMember(room, m.name);
          }
        }
        this.me = m.name;
        this.wanted = m.name;
        this.notice(this.room(), `You are now known as ${m.name}`);
      },
      now_talking(m) {
        const room = this.room(m.room);
        room.members = [...m.names];
        this.switchTo(m.room);
      },
      topic(m) {
        this.room(m.room).topic = m.text;
        this.drawHeader();
      },
      topic_set(m) {
        const room = this.room(m.room);
        room.topic = m.text;
        this.notice(room, `${m.name} set the topic: ${m.text}`);
        this.drawHeader();
      },
      you_left(m) {
        const room = this.rooms.get(key(m.room));
        if (!room) return;
        room.list.remove();
        this.rooms.delete(key(m.room));
        this.drawRooms();
      },
      members(m) {
        this.room(m.room).members = [...m.names];
        this.drawMembers();
      },
      rooms(m) {
        const listed = m.rooms.map((r) => `${r.room} (${r.members})`).join(", ");
        this.notice(this.room(), `Rooms: ${listed || "none"}`);
      },
      private(m) {
        this.privateLine(`from ${m.from}`, m.text);
      },
      private_sent(m) {
        this.privateLine(`to ${m.to}`, m.text);
      },
      help(m) {
        for (const text of m.lines) this.notice(this.room(), text);
      },
      receipts() {},
      receipt(m) {
        const room = this.room(m.room);
        const item = room.pending.shift();
        if (!item) {
          // A line said some other way (/to, a raw command): fetch it as the others see it.
          this.send({ type: "history", room: m.room, after: m.seq - 1, limit: 1 });
          return;
        }
        item.remove();
        item.classList.remove("pending");
        item.title = "Delivered";
        const time = item.querySelector("time");
        time.dateTime = m.time;
        time.textContent = clock(m.time);
        room.place(item, m.seq);
      },
      goodbye() {
        this.wanted = null;
        this.socket.stop();
        this.status("You left the chat. Reload the page to join again.");
      },
      shutting_down() {
        this.notice(this.room(), "The server is restarting.");
      },
      kicked(m) {
        this.leftEverywhere(m.name, `${m.name} was kicked by ${m.by}${m.reason ? ` (${m.reason})` : ""}`);
      },
      lines_lost(m) {
        this.notice(this.room(m.room), `Some lines of ${m.room} could not be recovered.`, "announcement");
      },
      announcement(m) {
        for (const room of this.rooms.values()) this.notice(room, `Announcement: ${m.text}`, "announcement");
      },
      whois(m) {
        const parts = [`connected since ${clock(m.since)}`, `idle ${m.idle} s`,
          `rooms ${m.rooms.join(" ") || "none"}`, `door ${m.door}`];
        if (m.registered) parts.push("registered");
        if (m.operator) parts.push("operator");
        if (m.address) parts.push(`address ${m.address}`);
        this.notice(this.room(), `${m.name}: ${parts.join(", ")}`);
      },
      registered(m) {
        this.notice(this.room(), `${m.name} is now registered`);
      },
      password_changed() {
        this.notice(this.room(), "Your password was changed");
      },
      unregistered(m) {
        this.notice(this.room(), `${m.name} is no longer registered`);
      },
      bans(m) {
        this.notice(this.room(), `Bans (${m.bans.length}):`);
        for (const ban of m.bans) {
          this.notice(this.room(), `${ban.target}: by ${ban.set_by}, expires ${ban.expires ? clock(ban.expires) : "never"}${ban.reason ? ` (${ban.reason})` : ""}`);
        }
      },
      ban_set(m) {
        this.notice(this.room(), `${m.target} is banned${m.expires ? ` until ${clock(m.expires)}` : ""}`);
      },
      ban_lifted(m) {
        this.notice(this.room(), `${m.target} is no longer banned`);
      },
      mute_set(m) {
        this.notice(this.room(), `${m.name} is muted${m.expires ? ` until ${clock(m.expires)}` : ""}`);
      },
      mute_lifted(m) {
        this.notice(this.room(), `${m.name} is no longer muted`);
      },
      you_are_muted(m) {
        this.notice(this.room(), `You were muted by ${m.by}${m.expires ? ` until ${clock(m.expires)}` : ""}`, "error");
      },
      you_are_unmuted() {
        this.notice(this.room(), "You are no longer muted");
      },
    };
  }

  resume() {
    // Rooms first (a join replays the newest lines), then what each missed since its last line.
    const previous = this.current || LOBBY;
    for (const room of this.rooms.values()) {
      if (key(room.name) !== key(LOBBY)) this.send({ type: "join", room: room.name });
    }
    for (const room of this.rooms.values()) {
      this.send({ type: "history", room: room.name, after: room.lastSeq, limit: HISTORY_MOST });
      this.send({ type: "who", room: room.name });
    }
    this.send({ type: "join", room: previous });
    this.send({ type: "topic", room: LOBBY });
  }

  // Rooms

  room(name) {
    if (name === undefined) return this.room(this.current || LOBBY);
    let room = this.rooms.get(key(name));
    if (!room) {
      room = new Room(name);
      this.rooms.set(key(name), room);
      $("messages").append(room.list);
      this.drawRooms();
    }
    return room;
  }

  switchTo(name) {
    const room = this.room(name);
    for (const other of this.rooms.values()) other.list.hidden = other !== room;
    this.current = room.name;
    room.unread = 0;
    this.drawRooms();
    this.drawHeader();
    this.drawMembers();
    const list = $("messages");
    list.scrollTop = list.scrollHeight;
  }

  loadOlder() {
    const room = this.room();
    if (room.loadingOlder || room.noOlder || room.firstSeq <= 1) return;
    room.loadingOlder = true;
    this.send({ type: "history", room: room.name, before: room.firstSeq, limit: HISTORY_PAGE });
  }

  leftEverywhere(name, text) {
    for (const room of this.rooms.values()) {
      if (room.members.includes(name)) {
        this.removeMember(room, name);
        this.notice(room, text);
      }
    }
  }

  addMember(room, name) {
    if (!room.members.includes(name)) room.members.push(name);
    room.members.sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }));
    if (room === this.room()) this.drawMembers();
  }

  removeMember(room, name) {
    room.members = room.members.filter((member) => member !== name);
    if (room === this.room()) this.drawMembers();
  }

  // Lines

  lineItem(m) {
    const item = element("li", m.type === "acted" ? "line acted" : "line");
    const time = element("time", "", m.time ? clock(m.time) : "");
    if (m.time) time.dateTime = m.time;
    item.append(time, " ");
    if (m.type === "acted") {
      item.append(element("span", "action", `* ${m.name} ${m.text}`));
    } else {
      item.append(element("span", "name", m.name), ": ", element("span", "text", m.text));
    }
    if (m.name === this.me) item.classList.add("mine");
    return item;
  }

  line(m, older = false) {
    const room = this.room(m.room);
    const item = this.lineItem(m);
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    if (!room.place(item, m.seq)) return false;
    if (!m.replayed && !older && room !== this.room()) {
      room.unread++;
      this.drawRooms();
    }
    if (room === this.room() && atBottom && !room.loadingOlder) list.scrollTop = list.scrollHeight;
    return true;
  }

  notice(room, text, kind = "notice") {
    const item = element("li", kind, text);
    if (kind === "error") item.setAttribute("role", "alert");
    room.list.append(item);
    if (room === this.room()) $("messages").scrollTop = $("messages").scrollHeight;
  }

  privateLine(who, text) {
    const item = element("li", "private");
    item.append(element("span", "marker", `[private ${who}]`), " ", element("span", "text", text));
    this.room().list.append(item);
    $("messages").scrollTop = $("messages").scrollHeight;
  }

  // Drawing

  showJoin() {
    $("chat-view").hidden = true;
    $("join-view").hidden = false;
    $("name").focus();
  }

  showChat() {
    const wasHidden = $("chat-view").hidden;
    $("join-view").hidden = true;
    $("chat-view").hidden = false;
    if (wasHidden) $("message").focus();
  }

  drawRooms() {
    const items = [];
    for (const room of this.rooms.values()) {
      const item = element("li");
      const open = element("button", "room", room.name);
      open.type = "button";
      const isCurrent = room.name === this.current;
      if (isCurrent) open.setAttribute("aria-current", "true");
      if (room.unread && !isCurrent) {
        const badge = element("span", "unread", String(room.unread));
        badge.setAttribute("aria-label", `${room.unread} unread`);
        open.append(" ", badge);
      }
      open.addEventListener("click", () => this.send({ type: "join", room: room.name }));
      item.append(open);
      if (key(room.name) !== key(LOBBY) || this.rooms.size > 1) {
        const leave = element("button", "leave", "×");
        leave.type = "button";
        leave.setAttribute("aria-label", `Leave ${room.name}`);
        leave.addEventListener("click", () => this.send({ type: "part", room: room.name }));
        item.append(leave);
      }
      items.push(item);
    }
    $("room-list").replaceChildren(...items);
  }

  drawHeader() {
    const room = this.room();
    $("room-name").textContent = room.name;
    $("topic").textContent = room.topic || "No topic";
    document.title = `${room.name} · chatd`;
  }

  drawMembers() {
    const room = this.room();
    $("member-count").textContent = `(${room.members.length})`;
    $("member-list").replaceChildren(...room.members.map((name) => element("li", "", name)));
  }
}

function clock(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  return when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

const page = new Page();
window.chatd = page; // for people poking at it from the console, and for the tests
page.start();
