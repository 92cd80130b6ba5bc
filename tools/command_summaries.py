"""One-line summaries for every command, written for ember in our own words.

Keyed by the lower-case full name as COMMAND INFO reports it ("get", "client|list").
Used by gen_command_table.py; every tsv row must have an entry here.
"""

_TEXT = """
acl: Groups the access-control-list management subcommands.
acl|cat: Lists the ACL categories, or the commands inside one category.
acl|deluser: Removes one or more ACL users and disconnects their clients.
acl|dryrun: Checks whether a user could run a command, without running it.
acl|genpass: Returns random bits encoded as hex, suitable as a password.
acl|getuser: Shows the rules configured for one ACL user.
acl|help: Lists the ACL subcommands with a short usage line each.
acl|list: Dumps every ACL user as a rule line, in ACL file format.
acl|load: Replaces the users with those found in the configured ACL file.
acl|log: Shows or clears the recent access-denied security events.
acl|save: Writes the current users to the configured ACL file.
acl|setuser: Creates an ACL user or adds rules to an existing one.
acl|users: Returns the names of all ACL users.
acl|whoami: Returns the user name the connection is authenticated as.
append: Adds a string to the end of a key's value, creating the key if needed.
asking: Tells a cluster node to accept the next command for a slot being imported.
auth: Authenticates the connection with a password, optionally for a named user.
bgrewriteaof: Starts rewriting the append-only file in the background.
bgsave: Starts saving an RDB snapshot of the dataset in the background.
bitcount: Counts the bits set to one in a string, optionally inside a range.
bitfield: Reads, writes and increments integer fields of any width inside a string.
bitfield_ro: Reads integer fields inside a string without modifying it.
bitop: Combines strings with a bitwise operation and stores the result.
bitpos: Finds the offset of the first bit set to zero or one in a string.
blmove: Moves an element between two lists, waiting until the source has one.
blmpop: Pops elements from the first non-empty list among several, waiting if all are empty.
blpop: Removes and returns the head of the first non-empty list, waiting if needed.
brpop: Removes and returns the tail of the first non-empty list, waiting if needed.
brpoplpush: Moves the tail of one list to the head of another, waiting for an element.
bzmpop: Pops members from the first non-empty sorted set among several, waiting if needed.
bzpopmax: Pops the highest-scored member of the first non-empty sorted set, waiting if needed.
bzpopmin: Pops the lowest-scored member of the first non-empty sorted set, waiting if needed.
client: Groups the subcommands that inspect and control client connections.
client|caching: Sets whether the next command's keys are tracked in opt-in/opt-out mode.
client|getname: Returns the name assigned to the current connection.
client|getredir: Returns the client id invalidation messages are redirected to.
client|help: Lists the CLIENT subcommands with a short usage line each.
client|id: Returns the unique id of the current connection.
client|info: Describes the current connection in CLIENT LIST format.
client|kill: Closes client connections chosen by address, id or other filters.
client|list: Describes every client connection, one line each.
client|no-evict: Exempts the current connection from client eviction, or undoes it.
client|no-touch: Stops the connection's commands from updating keys' access times, or undoes it.
client|pause: Suspends processing of client commands for a number of milliseconds.
client|reply: Turns replies to this connection's commands on, off, or off for one command.
client|setinfo: Records a client library name or version for the connection.
client|setname: Assigns a name to the current connection.
client|tracking: Turns server-assisted client-side caching on or off.
client|trackinginfo: Reports the client-side caching state of the connection.
client|unblock: Wakes a client blocked in a blocking command from another connection.
client|unpause: Resumes client processing after CLIENT PAUSE.
cluster: Groups the Redis Cluster management subcommands.
cluster|addslots: Gives hash slots to the node receiving the command.
cluster|addslotsrange: Gives ranges of hash slots to the node receiving the command.
cluster|bumpepoch: Advances the node's configuration epoch.
cluster|count-failure-reports: Counts active failure reports about a node.
cluster|countkeysinslot: Counts the keys held in one hash slot.
cluster|delslots: Makes the node forget ownership of hash slots.
cluster|delslotsrange: Makes the node forget ownership of ranges of hash slots.
cluster|failover: Makes a replica take over from its master, manually.
cluster|flushslots: Drops every hash slot assignment of the node.
cluster|forget: Removes a node from the node's view of the cluster.
cluster|getkeysinslot: Lists key names found in one hash slot.
cluster|help: Lists the CLUSTER subcommands with a short usage line each.
cluster|info: Reports cluster state and counters for the node.
cluster|keyslot: Computes the hash slot of a key name.
cluster|links: Describes the node's cluster bus connections.
cluster|meet: Connects the node to another node so they join one cluster.
cluster|myid: Returns the node's own id.
cluster|myshardid: Returns the id of the shard the node belongs to.
cluster|nodes: Describes the cluster configuration as the node sees it.
cluster|replicas: Lists the replicas of a master node.
cluster|replicate: Turns the node into a replica of the given master.
cluster|reset: Resets the node's cluster state, softly or hard.
cluster|saveconfig: Writes the cluster configuration to disk now.
cluster|set-config-epoch: Sets the configuration epoch of a fresh node.
cluster|setslot: Changes the state of a hash slot on the node.
cluster|shards: Describes the cluster's shards and their nodes.
cluster|slaves: Lists the replicas of a master node (old name of CLUSTER REPLICAS).
cluster|slots: Maps hash slot ranges to the nodes serving them.
command: Describes the server's commands; without a subcommand, lists them all.
command|count: Returns how many commands the server knows.
command|docs: Returns documentation metadata for some or all commands.
command|getkeys: Extracts the key names from a full command line.
command|getkeysandflags: Extracts the key names from a command line along with their access flags.
command|help: Lists the COMMAND subcommands with a short usage line each.
command|info: Returns metadata for some or all commands.
command|list: Lists command names, optionally filtered by module, category or pattern.
config: Groups the runtime configuration subcommands.
config|get: Returns configuration parameters whose names match patterns.
config|help: Lists the CONFIG subcommands with a short usage line each.
config|resetstat: Clears the server statistics counters.
config|rewrite: Writes the running configuration back to the configuration file.
config|set: Changes configuration parameters at runtime.
copy: Duplicates the value of a key under another key name.
dbsize: Returns how many keys the selected database holds.
debug: Runs internal debugging and testing helpers.
decr: Subtracts one from the integer stored at a key.
decrby: Subtracts the given amount from the integer stored at a key.
del: Removes one or more keys.
discard: Drops the commands queued since MULTI and leaves the transaction.
dump: Serializes a key's value in the format RESTORE accepts.
echo: Returns its argument unchanged.
eval: Runs a Lua script on the server.
evalsha: Runs a cached Lua script chosen by its SHA1 digest.
evalsha_ro: Runs a cached Lua script that only reads, chosen by its SHA1 digest.
eval_ro: Runs a Lua script that only reads data.
exec: Runs every command queued since MULTI as one transaction.
exists: Counts how many of the given keys exist.
expire: Sets a key to expire after a number of seconds.
expireat: Sets a key to expire at a Unix time given in seconds.
expiretime: Returns the Unix time in seconds at which a key expires.
failover: Hands the master role over to one of its replicas.
fcall: Calls a function loaded with FUNCTION LOAD.
fcall_ro: Calls a read-only function loaded with FUNCTION LOAD.
flushall: Deletes every key in every database.
flushdb: Deletes every key in the selected database.
function: Groups the subcommands that manage server-side function libraries.
function|delete: Removes a function library.
function|dump: Serializes all function libraries into a payload.
function|flush: Removes every function library.
function|help: Lists the FUNCTION subcommands with a short usage line each.
function|kill: Stops the function that is currently running.
function|list: Describes the loaded function libraries.
function|load: Loads a function library from source code.
function|restore: Loads function libraries from a FUNCTION DUMP payload.
function|stats: Reports the running function and the available engines.
geoadd: Adds members with longitude/latitude positions to a geospatial index.
geodist: Measures the distance between two members of a geospatial index.
geohash: Returns members' positions as geohash strings.
geopos: Returns members' positions as longitude/latitude pairs.
georadius: Finds members within a radius of a point, optionally storing them.
georadiusbymember: Finds members within a radius of another member, optionally storing them.
georadiusbymember_ro: Finds members within a radius of another member, read-only.
georadius_ro: Finds members within a radius of a point, read-only.
geosearch: Finds members inside a circle or box around a point or member.
geosearchstore: Finds members inside a circle or box and stores them in a key.
get: Returns the string value of a key.
getbit: Returns the bit value at an offset of a string.
getdel: Returns the string value of a key and deletes the key.
getex: Returns the string value of a key and changes its expiry.
getrange: Returns a substring of a key's string value.
getset: Sets a key to a new string and returns the old one.
hdel: Removes fields from a hash.
hello: Negotiates the protocol version, optionally authenticating and naming the connection.
hexists: Tells whether a field exists in a hash.
hexpire: Sets hash fields to expire after a number of seconds.
hexpireat: Sets hash fields to expire at a Unix time given in seconds.
hexpiretime: Returns the Unix time in seconds at which hash fields expire.
hget: Returns the value of one hash field.
hgetall: Returns every field and value of a hash.
hincrby: Adds an integer to the number stored in a hash field.
hincrbyfloat: Adds a floating point number to the number stored in a hash field.
hkeys: Returns every field name of a hash.
hlen: Returns how many fields a hash has.
hmget: Returns the values of several hash fields.
hmset: Sets several hash fields at once.
hpersist: Removes the expiration of hash fields.
hpexpire: Sets hash fields to expire after a number of milliseconds.
hpexpireat: Sets hash fields to expire at a Unix time given in milliseconds.
hpexpiretime: Returns the Unix time in milliseconds at which hash fields expire.
hpttl: Returns the remaining time to live of hash fields in milliseconds.
hrandfield: Returns one or more random fields of a hash.
hscan: Iterates over the fields and values of a hash.
hset: Sets one or more hash fields.
hsetnx: Sets a hash field only when it does not exist yet.
hstrlen: Returns the length of a hash field's value.
httl: Returns the remaining time to live of hash fields in seconds.
hvals: Returns every value of a hash.
incr: Adds one to the integer stored at a key.
incrby: Adds the given amount to the integer stored at a key.
incrbyfloat: Adds a floating point number to the number stored at a key.
info: Reports server information and statistics, by section.
keys: Returns every key name that matches a pattern.
lastsave: Returns the Unix time of the last successful save to disk.
latency: Groups the latency monitoring subcommands.
latency|doctor: Writes a human-readable analysis of latency events.
latency|graph: Draws an ASCII graph of one latency event's history.
latency|help: Lists the LATENCY subcommands with a short usage line each.
latency|histogram: Returns per-command latency histograms.
latency|history: Returns the recorded samples of one latency event.
latency|latest: Returns the latest sample of every latency event.
latency|reset: Clears recorded latency events.
lcs: Finds the longest common subsequence of two string values.
lindex: Returns the list element at an index.
linsert: Inserts an element before or after another element of a list.
llen: Returns the length of a list.
lmove: Moves an element from one end of a list to an end of another.
lmpop: Pops elements from the first non-empty list among several.
lolwut: Draws a piece of computer art along with the server version.
lpop: Removes and returns elements from the head of a list.
lpos: Finds the positions of matching elements in a list.
lpush: Adds elements to the head of a list.
lpushx: Adds elements to the head of a list only when the list exists.
lrange: Returns a range of elements of a list.
lrem: Removes occurrences of an element from a list.
lset: Replaces the list element at an index.
ltrim: Cuts a list down to the given range of elements.
memory: Groups the memory introspection subcommands.
memory|doctor: Writes a human-readable analysis of memory usage.
memory|help: Lists the MEMORY subcommands with a short usage line each.
memory|malloc-stats: Returns the memory allocator's internal statistics.
memory|purge: Asks the allocator to give unused memory back.
memory|stats: Reports a breakdown of the server's memory usage.
memory|usage: Estimates the bytes a key and its value use.
mget: Returns the string values of several keys.
migrate: Moves keys to another Redis instance atomically.
module: Groups the module management subcommands.
module|help: Lists the MODULE subcommands with a short usage line each.
module|list: Lists the loaded modules.
module|load: Loads a module from a shared library file.
module|loadex: Loads a module with extra configuration and arguments.
module|unload: Unloads a module.
monitor: Streams every command the server processes to this connection.
move: Moves a key to another database.
mset: Sets several keys to string values at once.
msetnx: Sets several keys at once, only if none of them exists.
multi: Starts queueing commands for a transaction.
object: Groups the subcommands that inspect a key's internal object.
object|encoding: Returns the internal encoding of a key's value.
object|freq: Returns the LFU access frequency counter of a key.
object|help: Lists the OBJECT subcommands with a short usage line each.
object|idletime: Returns the seconds since a key was last accessed.
object|refcount: Returns the reference count of a key's value.
persist: Removes the expiration of a key.
pexpire: Sets a key to expire after a number of milliseconds.
pexpireat: Sets a key to expire at a Unix time given in milliseconds.
pexpiretime: Returns the Unix time in milliseconds at which a key expires.
pfadd: Adds elements to a HyperLogLog.
pfcount: Estimates the number of distinct elements seen by HyperLogLogs.
pfdebug: Runs internal HyperLogLog debugging helpers.
pfmerge: Merges HyperLogLogs into one.
pfselftest: Runs the internal HyperLogLog self test.
ping: Checks the connection; replies PONG or echoes a message.
psetex: Sets a string value with an expiry in milliseconds.
psubscribe: Subscribes to channels matching patterns.
psync: Starts a replication stream from a master, partially if possible.
pttl: Returns the remaining time to live of a key in milliseconds.
publish: Sends a message to a channel.
pubsub: Groups the pub/sub introspection subcommands.
pubsub|channels: Lists the channels with subscribers, optionally matching a pattern.
pubsub|help: Lists the PUBSUB subcommands with a short usage line each.
pubsub|numpat: Counts the patterns subscribed to by clients.
pubsub|numsub: Counts the subscribers of given channels.
pubsub|shardchannels: Lists the shard channels with subscribers, optionally matching a pattern.
pubsub|shardnumsub: Counts the subscribers of given shard channels.
punsubscribe: Unsubscribes from pattern subscriptions.
quit: Closes the connection.
randomkey: Returns a random key name from the selected database.
readonly: Allows reads from a cluster replica on this connection.
readwrite: Stops allowing reads from a cluster replica on this connection.
rename: Gives a key a new name, replacing any key with that name.
renamenx: Gives a key a new name only if that name is free.
replconf: Exchanges replication settings between master and replica.
replicaof: Makes the server a replica of another, or a master again.
reset: Returns the connection to its default state.
restore: Creates a key from a DUMP payload.
restore-asking: Creates a key from a DUMP payload during cluster migration.
role: Reports the replication role of the server.
rpop: Removes and returns elements from the tail of a list.
rpoplpush: Moves the tail of one list to the head of another.
rpush: Adds elements to the tail of a list.
rpushx: Adds elements to the tail of a list only when the list exists.
sadd: Adds members to a set.
save: Saves an RDB snapshot of the dataset synchronously.
scan: Iterates over the key names of the selected database.
scard: Returns how many members a set has.
script: Groups the Lua script cache subcommands.
script|debug: Sets the debug mode of the following EVAL commands.
script|exists: Tells which scripts, by SHA1 digest, are in the script cache.
script|flush: Empties the Lua script cache.
script|help: Lists the SCRIPT subcommands with a short usage line each.
script|kill: Stops the Lua script that is currently running.
script|load: Puts a Lua script into the script cache without running it.
sdiff: Returns the members of a set that are not in the other sets.
sdiffstore: Stores the difference of sets in a key.
select: Switches the connection to another database.
sentinel: Groups the Redis Sentinel subcommands.
sentinel|ckquorum: Checks whether the sentinels can reach quorum for a master.
sentinel|config: Reads or changes global Sentinel settings.
sentinel|debug: Reads or changes Sentinel's internal tuning parameters.
sentinel|failover: Forces a failover of a monitored master.
sentinel|flushconfig: Rewrites the Sentinel configuration file.
sentinel|get-master-addr-by-name: Returns the address of a monitored master.
sentinel|help: Lists the SENTINEL subcommands with a short usage line each.
sentinel|info-cache: Returns the cached INFO output of monitored instances.
sentinel|is-master-down-by-addr: Asks this sentinel whether it sees a master as down.
sentinel|master: Describes one monitored master.
sentinel|masters: Describes every monitored master.
sentinel|monitor: Starts monitoring a new master.
sentinel|myid: Returns the sentinel's own id.
sentinel|pending-scripts: Lists the scripts waiting to run.
sentinel|remove: Stops monitoring a master.
sentinel|replicas: Describes the replicas of a monitored master.
sentinel|reset: Resets the state of masters matching a pattern.
sentinel|sentinels: Describes the other sentinels watching a master.
sentinel|set: Changes the monitoring settings of a master.
sentinel|simulate-failure: Makes the sentinel simulate a crash, for testing.
sentinel|slaves: Describes the replicas of a monitored master (old name of REPLICAS).
set: Sets a key to a string value, with optional expiry and conditions.
setbit: Sets or clears the bit at an offset of a string.
setex: Sets a string value with an expiry in seconds.
setnx: Sets a string value only if the key does not exist.
setrange: Overwrites part of a string value starting at an offset.
shutdown: Stops the server, optionally saving first.
sinter: Returns the members common to all given sets.
sintercard: Counts the members common to all given sets.
sinterstore: Stores the intersection of sets in a key.
sismember: Tells whether a value is a member of a set.
slaveof: Makes the server a replica of another, or a master again (old name of REPLICAOF).
slowlog: Groups the slow log subcommands.
slowlog|get: Returns entries from the slow log.
slowlog|help: Lists the SLOWLOG subcommands with a short usage line each.
slowlog|len: Returns how many entries the slow log holds.
slowlog|reset: Empties the slow log.
smembers: Returns every member of a set.
smismember: Tells, for each value, whether it is a member of a set.
smove: Moves a member from one set to another.
sort: Sorts the elements of a list, set or sorted set, optionally storing the result.
sort_ro: Sorts the elements of a list, set or sorted set, read-only.
spop: Removes and returns random members of a set.
spublish: Sends a message to a shard channel.
srandmember: Returns random members of a set without removing them.
srem: Removes members from a set.
sscan: Iterates over the members of a set.
ssubscribe: Subscribes to shard channels.
strlen: Returns the length of a string value.
subscribe: Subscribes to channels.
substr: Returns a substring of a string value (old name of GETRANGE).
sunion: Returns the members of all given sets combined.
sunionstore: Stores the union of sets in a key.
sunsubscribe: Unsubscribes from shard channels.
swapdb: Exchanges the contents of two databases.
sync: Starts a full replication stream from a master.
time: Returns the server's clock as seconds and microseconds.
touch: Updates the access time of keys and counts those that exist.
ttl: Returns the remaining time to live of a key in seconds.
type: Returns the type of the value stored at a key.
unlink: Removes keys, freeing their memory in the background.
unsubscribe: Unsubscribes from channels.
unwatch: Forgets every key watched by this connection.
wait: Waits until earlier writes reach a number of replicas.
waitaof: Waits until earlier writes are fsynced to the AOF locally and on replicas.
watch: Watches keys so a later transaction aborts if they change.
xack: Marks stream messages as processed by a consumer group.
xadd: Appends a message to a stream.
xautoclaim: Transfers ownership of idle pending messages, scanning from an id.
xclaim: Transfers ownership of given pending messages to another consumer.
xdel: Removes messages from a stream.
xgroup: Groups the stream consumer group subcommands.
xgroup|create: Creates a consumer group on a stream.
xgroup|createconsumer: Adds a consumer to a consumer group.
xgroup|delconsumer: Removes a consumer from a consumer group.
xgroup|destroy: Deletes a consumer group.
xgroup|help: Lists the XGROUP subcommands with a short usage line each.
xgroup|setid: Moves a consumer group's last delivered id.
xinfo: Groups the stream introspection subcommands.
xinfo|consumers: Describes the consumers of a consumer group.
xinfo|groups: Describes the consumer groups of a stream.
xinfo|help: Lists the XINFO subcommands with a short usage line each.
xinfo|stream: Describes a stream.
xlen: Returns how many messages a stream holds.
xpending: Inspects the pending messages of a consumer group.
xrange: Returns stream messages with ids inside a range.
xread: Reads messages from streams after given ids, optionally waiting.
xreadgroup: Reads messages for a consumer of a group, optionally waiting.
xrevrange: Returns stream messages inside a range, newest first.
xsetid: Sets the last id and counters of a stream.
xtrim: Drops old messages from a stream by length or id.
zadd: Adds members with scores to a sorted set, or updates their scores.
zcard: Returns how many members a sorted set has.
zcount: Counts sorted set members with scores inside a range.
zdiff: Returns the members of a sorted set that are not in the other sorted sets.
zdiffstore: Stores the difference of sorted sets in a key.
zincrby: Adds to the score of a sorted set member.
zinter: Returns the intersection of sorted sets.
zintercard: Counts the members common to all given sorted sets.
zinterstore: Stores the intersection of sorted sets in a key.
zlexcount: Counts sorted set members inside a lexicographical range.
zmpop: Pops members from the first non-empty sorted set among several.
zmscore: Returns the scores of several sorted set members.
zpopmax: Removes and returns the highest-scored members of a sorted set.
zpopmin: Removes and returns the lowest-scored members of a sorted set.
zrandmember: Returns random members of a sorted set.
zrange: Returns sorted set members inside a range of ranks, scores or names.
zrangebylex: Returns sorted set members inside a lexicographical range.
zrangebyscore: Returns sorted set members with scores inside a range.
zrangestore: Stores a range of sorted set members in a key.
zrank: Returns the rank of a member in a sorted set, lowest score first.
zrem: Removes members from a sorted set.
zremrangebylex: Removes sorted set members inside a lexicographical range.
zremrangebyrank: Removes sorted set members inside a range of ranks.
zremrangebyscore: Removes sorted set members with scores inside a range.
zrevrange: Returns sorted set members inside a range of ranks, highest score first.
zrevrangebylex: Returns sorted set members inside a lexicographical range, in reverse order.
zrevrangebyscore: Returns sorted set members with scores inside a range, highest first.
zrevrank: Returns the rank of a member in a sorted set, highest score first.
zscan: Iterates over the members and scores of a sorted set.
zscore: Returns the score of a sorted set member.
zunion: Returns the union of sorted sets.
zunionstore: Stores the union of sorted sets in a key.
"""

SUMMARIES = {}
for _line in _TEXT.strip().splitlines():
    _name, _text = _line.split(": ", 1)
    SUMMARIES[_name] = _text
