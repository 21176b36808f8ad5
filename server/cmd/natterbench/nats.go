package main

import (
	"fmt"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

// startNATS runs a real NATS server in this process on a free loopback
// port, for the cluster scenario's NATS round; stop shuts it down.
func startNATS() (url string, stop func(), err error) {
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		return "", nil, fmt.Errorf("natterbench: nats server: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return "", nil, fmt.Errorf("natterbench: nats server did not start")
	}
	return ns.ClientURL(), ns.Shutdown, nil
}
