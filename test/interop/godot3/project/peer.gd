# A real Godot 3 NetworkedMultiplayerENet peer for meshpunch's interop tests (test/interop/godot3).
# Runs headless as the main loop: `godot3-server --path <project> -s res://peer.gd -- role=server
# port=N compression=none|range_coder [channels=3] [address=127.0.0.1] [lifetime_s=120]`.
# It reports on stdout, one line per fact, each starting with "g3 " (engine messages go to stderr):
#   g3 ready <role> <port> <unique_id> <compression_mode> <channel_count>
#   g3 peer_connected <id> | g3 peer_disconnected <id> | g3 connection_succeeded
#   g3 connection_failed | g3 server_disconnected | g3 closed
#   g3 recv <from> <channel> <size> <sha256 of the payload's lower-case hex>
#   g3 sent <mode> <channel> <size> <sha256 of the payload's lower-case hex>
#   g3 error <what> <code>
# The test talks to it through the network only: a received payload starting with "cmd " is a
# command (below); anything else is echoed to its sender, reliable, on the default channel.
#   cmd send <mode> <channel> <size> <salt>  send pattern(size, salt) to the sender with
#                                            transfer_mode <mode>, transfer_channel <channel>
#   cmd disconnect                           server: disconnect_peer(sender) (graceful)
#                                            client: close_connection()
extends SceneTree

var peer: NetworkedMultiplayerENet
var role := ""
var deadline_ms := 0
var quitting := false


func say(line: String) -> void:
	print("g3 " + line)


func _init() -> void:
	var args := {}
	for a in OS.get_cmdline_args():
		var eq: int = a.find("=")
		if eq > 0:
			args[a.substr(0, eq)] = a.substr(eq + 1, a.length() - eq - 1)
	role = args.get("role", "")
	var port := int(args.get("port", "0"))
	# A bound on the process's life, so a test that dies before stopping it leaves no orphan.
	deadline_ms = OS.get_ticks_msec() + int(args.get("lifetime_s", "120")) * 1000
	# Poll at up to 500 frames a second instead of spinning a core (headless runs unthrottled).
	Engine.target_fps = 500
	peer = NetworkedMultiplayerENet.new()
	match args.get("compression", "none"):
		"none":
			peer.compression_mode = NetworkedMultiplayerENet.COMPRESS_NONE
		"range_coder":
			peer.compression_mode = NetworkedMultiplayerENet.COMPRESS_RANGE_CODER
		var other:
			say("error compression " + str(other))
			quit(2)
			return
	# channel_count: Godot 3's default 3 (config, reliable, unreliable) unless the test asks for more.
	peer.channel_count = int(args.get("channels", "3"))
	peer.connect("peer_connected", self, "_on_peer_connected")
	peer.connect("peer_disconnected", self, "_on_peer_disconnected")
	peer.connect("connection_succeeded", self, "_on_connection_succeeded")
	peer.connect("connection_failed", self, "_on_connection_failed")
	peer.connect("server_disconnected", self, "_on_server_disconnected")
	var err := OK
	if role == "server":
		err = peer.create_server(port, 4)
	elif role == "client":
		err = peer.create_client(args.get("address", "127.0.0.1"), port)
	else:
		say("error role " + role)
		quit(2)
		return
	if err != OK:
		say("error create " + str(err))
		quit(3)
		return
	say("ready %s %d %d %d %d" % [role, port, peer.get_unique_id(), peer.compression_mode, peer.channel_count])


func _idle(_delta: float) -> bool:
	if quitting:
		return false
	if OS.get_ticks_msec() > deadline_ms:
		say("error lifetime 0")
		quitting = true
		quit(4)
		return false
	if peer.get_connection_status() == NetworkedMultiplayerPeer.CONNECTION_DISCONNECTED:
		return false
	peer.poll()
	# poll() may have closed the peer (a client whose server left); get_packet then has nothing.
	while peer.get_connection_status() != NetworkedMultiplayerPeer.CONNECTION_DISCONNECTED and peer.get_available_packet_count() > 0:
		var from := peer.get_packet_peer()
		var channel := peer.get_packet_channel()
		var data := peer.get_packet()
		_handle(from, channel, data)
	return false


func _handle(from: int, channel: int, data: PoolByteArray) -> void:
	var text := ""
	if data.size() < 64:
		text = data.get_string_from_ascii()
	if text.begins_with("cmd "):
		var words := text.split(" ")
		match words[1]:
			"send":
				_send(from, int(words[2]), int(words[3]), pattern(int(words[4]), int(words[5])))
			"disconnect":
				if role == "server":
					peer.disconnect_peer(from)
				else:
					peer.close_connection()
					say("closed")
			_:
				say("error command 0")
		return
	say("recv %d %d %d %s" % [from, channel, data.size(), data.hex_encode().sha256_text()])
	peer.transfer_mode = NetworkedMultiplayerPeer.TRANSFER_MODE_RELIABLE
	peer.transfer_channel = -1
	peer.set_target_peer(from)
	var err := peer.put_packet(data)
	if err != OK:
		say("error echo " + str(err))


func _send(to: int, mode: int, channel: int, data: PoolByteArray) -> void:
	peer.transfer_mode = mode
	peer.transfer_channel = channel
	peer.set_target_peer(to)
	var err := peer.put_packet(data)
	if err != OK:
		say("error send " + str(err))
		return
	say("sent %d %d %d %s" % [mode, channel, data.size(), data.hex_encode().sha256_text()])


# The test payload for (size, salt); godot3-harness.ts computes the same bytes.
static func pattern(size: int, salt: int) -> PoolByteArray:
	var b := PoolByteArray()
	b.resize(size)
	for i in range(size):
		b[i] = (salt * 7 + i * 31 + (i >> 8) * 13) & 0xff
	return b


func _on_peer_connected(id: int) -> void:
	say("peer_connected %d" % id)


func _on_peer_disconnected(id: int) -> void:
	say("peer_disconnected %d" % id)


func _on_connection_succeeded() -> void:
	say("connection_succeeded")


func _on_connection_failed() -> void:
	say("connection_failed")


func _on_server_disconnected() -> void:
	say("server_disconnected")
