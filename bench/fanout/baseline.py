"""The naive baseline for the fan-out benchmark: the classic Twisted docs chat server.

This is the shape of the chat example in Twisted's documentation and of countless tutorials: a
``LineReceiver`` per connection and a ``Factory`` holding a dict of users, where a chat line is
sent with one ``sendLine`` per recipient. It listens with Twisted's default backlog (50) and
leaves Nagle's algorithm on, as that example does. It has no flow control and no limits.

It is here only as the yardstick the benchmark's targets are ratios against (issue 5): it speaks
chatd's wire protocol closely enough for the load generator (prompt, welcome, ``NAME: TEXT``,
join and leave notices) and nothing more. Run it from the repository root with
``python -m bench.fanout.baseline --port PORT``; ``--port 0`` picks a free port, and the port it
listens on is printed as ``baseline starting on PORT``.
"""

import argparse
import sys

from twisted.internet import reactor
from twisted.internet.protocol import Factory
from twisted.protocols.basic import LineReceiver


class Chat(LineReceiver):
    delimiter = b"\n"  # accept LF or CRLF; lines go out with CRLF (see sendLine)

    def __init__(self, users):
        self.users = users
        self.name = None

    def sendLine(self, line):
        self.transport.write(line.encode("utf-8") + b"\r\n")

    def connectionMade(self):
        self.sendLine("* Please enter a username:")

    def connectionLost(self, reason):
        if self.name in self.users:
            del self.users[self.name]
            self.broadcast(f"* {self.name} has left the chat")

    def lineReceived(self, line):
        line = line.decode("utf-8", "replace").removesuffix("\r")
        if line == "<quit>":
            self.sendLine(f"* Goodbye {self.name or ''}!")
            self.transport.loseConnection()
        elif self.name is None:
            self.handle_name(line)
        else:
            self.broadcast(f"{self.name}: {line}")

    def handle_name(self, name):
        if name in self.users:
            self.sendLine("! taken")
            return
        self.name = name
        self.users[name] = self
        self.sendLine(f"* Welcome {name}! If you ever want to quit, type <quit> to exit.")
        self.broadcast(f"* {name} has joined the chat")

    def broadcast(self, message):
        for protocol in self.users.values():
            if protocol is not self:
                protocol.sendLine(message)


class ChatFactory(Factory):
    def __init__(self):
        self.users = {}  # maps user names to Chat instances

    def buildProtocol(self, addr):
        return Chat(self.users)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--interface", default="127.0.0.1")
    args = parser.parse_args()
    port = reactor.listenTCP(args.port, ChatFactory(), interface=args.interface)
    print(f"baseline starting on {port.getHost().port}", flush=True)
    reactor.run()


if __name__ == "__main__":
    sys.exit(main())
