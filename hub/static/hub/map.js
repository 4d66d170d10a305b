// The participants map: asks /api/participants/map/ for what is in view and
// draws it on one canvas, so 10,000 points pan and zoom smoothly.
//
// #status says what happened, for people (its text) and for the browser
// test (data-state: loading, ready or error; data-count: points drawn;
// data-bbox: the box the drawn points were asked for).
"use strict";

(function () {
  const element = document.getElementById("map");
  const status = document.getElementById("status");
  const tilesNote = document.getElementById("tiles-note");
  const api = element.dataset.api;
  const limit = Number(element.dataset.limit);
  const world = L.latLngBounds([-90, -180], [90, 180]);

  const map = L.map(element, {
    // One world: the API takes boxes inside -180..180, never across the antimeridian.
    maxBounds: world,
    maxBoundsViscosity: 1,
    minZoom: 2,
    worldCopyJump: false,
  }).setView([25, 10], 2);
  const renderer = L.canvas({ padding: 0.2 });
  const points = L.layerGroup().addTo(map);

  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    noWrap: true,
    attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
  })
    .on("tileerror", () => {
      tilesNote.hidden = false;
    })
    .addTo(map);

  // Rounded outwards to 4 decimals (about 11 m): shorter URLs, same points.
  function viewBox() {
    const bounds = map.getBounds();
    const down = (value) => Math.floor(value * 1e4) / 1e4;
    const up = (value) => Math.ceil(value * 1e4) / 1e4;
    return [
      down(Math.max(-180, bounds.getWest())),
      down(Math.max(-90, bounds.getSouth())),
      up(Math.min(180, bounds.getEast())),
      up(Math.min(90, bounds.getNorth())),
    ].join(",");
  }

  function show(state, text, details) {
    status.dataset.state = state;
    status.textContent = text;
    Object.assign(status.dataset, details || {});
  }

  function draw(collection) {
    points.clearLayers();
    for (const feature of collection.features) {
      const [longitude, latitude] = feature.geometry.coordinates;
      const marker = L.circleMarker([latitude, longitude], {
        renderer,
        radius: 4,
        weight: 1,
        color: "#1f4e79",
        fillColor: "#2f80ed",
        fillOpacity: 0.75,
      });
      marker.properties = feature.properties;
      points.addLayer(marker);
    }
    return points.getLayers().length;
  }

  // One popup for all points, built from text nodes: names are user data, never HTML.
  points.on("click", (event) => {
    const { name, city, country } = event.layer.properties;
    const content = document.createElement("div");
    const strong = document.createElement("strong");
    strong.textContent = name;
    content.append(strong, document.createElement("br"), `${city}, ${country}`);
    L.popup().setLatLng(event.latlng).setContent(content).openOn(map);
  });

  let inFlight = null;

  async function load() {
    const bbox = viewBox();
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    show("loading", "Loading participants…");
    try {
      const response = await fetch(`${api}?bbox=${bbox}&limit=${limit}`, {
        signal: controller.signal,
        headers: { Accept: "application/geo+json" },
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        throw new Error(body.error || `the server answered ${response.status}`);
      }
      const count = draw(body);
      const shown = count.toLocaleString();
      const text =
        count >= limit
          ? `Showing the first ${shown} participants in view; zoom in to see them all.`
          : `${shown} participant${count === 1 ? "" : "s"} in view.`;
      show("ready", text, { count: String(count), bbox });
    } catch (error) {
      if (error.name === "AbortError") return; // a newer view replaced this request
      points.clearLayers();
      // fetch() rejects with a TypeError when no answer arrived at all.
      const reason = error instanceof TypeError ? "the server could not be reached" : error.message;
      show("error", `Participants could not be loaded: ${reason}.`, { count: "0", bbox });
    } finally {
      if (inFlight === controller) inFlight = null;
    }
  }

  let timer = null;
  map.on("moveend", () => {
    // A fling or a pinch ends in several moveend events; ask once it settles.
    clearTimeout(timer);
    timer = setTimeout(load, 150);
  });
  load();
})();
