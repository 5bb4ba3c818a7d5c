package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// The gateway's metrics. Labels name platforms and outcomes only, never
// users or chats.
var (
	registry         = prometheus.NewRegistry()
	metricInbound    = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hermes_gateway_inbound_total", Help: "Inbound messages journaled, by platform."}, []string{"platform"})
	metricDenied     = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hermes_gateway_denied_total", Help: "Inbound messages refused by authorization, by platform."}, []string{"platform"})
	metricTurns      = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hermes_gateway_turns_total", Help: "Agent turns run, by platform and outcome."}, []string{"platform", "outcome"})
	metricDeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hermes_gateway_deliveries_total", Help: "Outbound deliveries, by platform and final state."}, []string{"platform", "state"})
	metricConnected  = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hermes_gateway_platform_connected", Help: "1 when the platform's adapter is connected."}, []string{"platform"})
)

func init() {
	registry.MustRegister(metricInbound, metricDenied, metricTurns, metricDeliveries, metricConnected,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}
