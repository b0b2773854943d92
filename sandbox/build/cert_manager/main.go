// cert-manager's controller, built from the main module's public controller registry: the proxy does not serve
// the sub-module cmd/controller, whose main does this and more (leader election, webhooks, ACME solvers). This
// runs the Certificate controllers, the CertificateRequest approver and the CA issuer, against the API server
// the kubeconfig names.
package main

import (
	"context"
	"flag"
	"log"
	"os/signal"
	"syscall"

	controllerpkg "github.com/cert-manager/cert-manager/pkg/controller"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server to run against")
	resources := flag.String("cluster-resource-namespace", "cert-manager", "where ClusterIssuers' secrets live")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	opts := controllerpkg.ContextOptions{Kubeconfig: *kubeconfig, KubernetesAPIQPS: 20, KubernetesAPIBurst: 50}
	opts.ClusterResourceNamespace = *resources
	factory, err := controllerpkg.NewContextFactory(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	var controllers []controllerpkg.Interface
	for name, construct := range controllerpkg.Known() {
		c, err := construct(factory)
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		controllers = append(controllers, c)
	}
	built, err := factory.Build()
	if err != nil {
		log.Fatal(err)
	}
	built.KubeSharedInformerFactory.Start(ctx.Done())
	built.SharedInformerFactory.Start(ctx.Done())
	done := make(chan error, len(controllers))
	for _, c := range controllers {
		go func(c controllerpkg.Interface) { done <- c.Run(1, ctx) }(c)
	}
	if err := <-done; err != nil {
		log.Fatal(err)
	}
}
