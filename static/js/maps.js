/* Maps, as an enhancement: an element with data-map="places" shows on a Leaflet map the items
   of the list it names (data-places) that carry data-lat and data-lng; data-map="picker" sets
   the latitude and longitude fields it names where the map is clicked. Leaflet
   (static/leaflet, vendored) is loaded only on a page that has a map. Without JavaScript, or
   without tiles, the list and the fields work as they are. */
(function () {
  "use strict";
  var loading = null;

  function leaflet() {
    if (window.L) return Promise.resolve(window.L);
    if (!loading) {
      // The map is drawn once both are in: drawn before its style sheet, its controls would
      // show unstyled (and too small to touch) for a moment.
      var style = new Promise(function (resolve) {
        var css = document.createElement("link");
        css.rel = "stylesheet";
        css.href = "/static/leaflet/leaflet.css";
        css.onload = resolve;
        css.onerror = resolve;  // the map still works unstyled
        document.head.appendChild(css);
      });
      var code = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = "/static/leaflet/leaflet.js";
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
      loading = Promise.all([style, code]).then(function () {
        window.L.Icon.Default.imagePath = "/static/leaflet/images/";
        return window.L;
      });
    }
    return loading;
  }

  function base(L, el) {
    el.hidden = false;
    var map = L.map(el, { scrollWheelZoom: false });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" })
        .addTo(map);
    }
    var area = (el.dataset.area || "").split(",").map(parseFloat);
    if (area.length === 4 && !area.some(isNaN)) {
      map.fitBounds([[area[0], area[1]], [area[2], area[3]]]);
    } else {
      map.setView([49.0, 31.0], 5);
    }
    return map;
  }

  function places(L, el) {
    var map = base(L, el);
    var points = [];
    document.querySelectorAll(el.dataset.places + " [data-lat]").forEach(function (item) {
      var at = [parseFloat(item.dataset.lat), parseFloat(item.dataset.lng)];
      if (isNaN(at[0]) || isNaN(at[1])) return;
      var title = item.dataset.title || "";
      // With results, the funded projects stand out; the others are paler.
      var faded = el.dataset.results === "1" && item.dataset.funded !== "1";
      var marker = L.marker(at, { title: title, alt: title, keyboard: true,
                                  opacity: faded ? 0.5 : 1 }).addTo(map);
      var link = item.querySelector("a");
      if (link) {
        var popup = document.createElement("p");
        var a = document.createElement("a");
        a.href = link.href;
        a.textContent = link.textContent;
        popup.appendChild(a);
        var funded = item.querySelector("strong");
        if (funded) popup.appendChild(document.createTextNode(" — " + funded.textContent));
        marker.bindPopup(popup);
      }
      points.push(at);
    });
    if (points.length === 1) map.setView(points[0], 15);
    else if (points.length > 1) map.fitBounds(points, { padding: [24, 24] });
  }

  function picker(L, el) {
    var map = base(L, el);
    var lat = document.getElementById(el.dataset.latInput);
    var lng = document.getElementById(el.dataset.lngInput);
    var marker = null;
    function show() {
      var at = [parseFloat((lat.value || "").replace(",", ".")),
                parseFloat((lng.value || "").replace(",", "."))];
      if (isNaN(at[0]) || isNaN(at[1])) return;
      if (marker) marker.setLatLng(at);
      else marker = L.marker(at, { keyboard: false }).addTo(map);
    }
    show();
    if (marker) map.setView(marker.getLatLng(), 15);
    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lng.value = event.latlng.lng.toFixed(6);
      show();
    });
    lat.addEventListener("change", show);
    lng.addEventListener("change", show);
  }

  function init(root) {
    var maps = root.querySelectorAll ? root.querySelectorAll("[data-map]:not([data-map-ready])") : [];
    if (!maps.length) return;
    leaflet().then(function (L) {
      maps.forEach(function (el) {
        el.setAttribute("data-map-ready", "1");
        if (el.dataset.map === "picker") picker(L, el);
        else places(L, el);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();
