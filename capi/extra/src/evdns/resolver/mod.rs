//! The resolver: `struct evdns_base`, its name servers, requests in flight over UDP and
//! TCP, retries, probing, the search list, options and the hosts table.
