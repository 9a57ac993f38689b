// The page's entry point: theme, header badges, the one live socket, the shared feed and orders, then the views.

import { startFeed } from "./feed.js";
import { startOrders } from "./orders.js";
import { register, startRouter } from "./router.js";
import { relay } from "./socket.js";
import { startStatus } from "./status.js";
import { startTheme } from "./theme.js";
import { groupsView } from "./views/groups.js";
import { grpcView } from "./views/grpc.js";
import { liveView } from "./views/live.js";
import { mapView } from "./views/map.js";
import { restView } from "./views/rest.js";
import { topicView } from "./views/topic.js";
import { topicDetailsView } from "./views/topic_details.js";
import { topicsView } from "./views/topics.js";
import { traceView } from "./views/trace.js";
import { startWire } from "./views/wire.js";

startTheme();
startStatus();
startFeed();
startOrders();
startWire();
for (const view of [liveView, topicView, topicsView, topicDetailsView, groupsView, restView, grpcView, traceView,
  mapView]) {
  register(view);
}
startRouter();
relay.connect();
