/* Stand-in for the header libevent's build generates from test/regress.rpc.  The rpc
 * group needs libevent_extra's evrpc and is not built yet; nothing else uses it. */
