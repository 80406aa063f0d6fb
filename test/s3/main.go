// Command s3-test runs gofakes3, an S3-compatible server keeping objects in
// memory, on a loopback port: the tests read Rocket.Chat uploads from it and
// keep exports in it as they would in AWS S3, MinIO or Ceph.
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9000", "TCP address to listen on")
	flag.Parse()
	faker := gofakes3.New(s3mem.New())
	log.Printf("listening on %s", *listen)
	log.Fatal(http.ListenAndServe(*listen, faker.Server()))
}
