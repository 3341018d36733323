/* Ritorno storefront widget: fills each <div class="ritorno-recs" data-…> with product
   recommendations. The data attributes are documented in storefront/widget.go. Its only
   global is window.Ritorno; it never writes to the console; a failed request renders nothing. */
(function (w, d) {
  'use strict';
  // Included twice (theme block and plugin), the first copy serves both; without fetch, nothing.
  if (w.Ritorno || !w.fetch || !w.URL) return;

  var P = 'ritorno-recs__', seq = 0, view = viewId();

  function noop() {}

  // viewId names this page view: the server counts each event of an item once per view.
  function viewId() {
    var a = new Uint8Array(12), s = '', i;
    try { w.crypto.getRandomValues(a); } catch (e) { for (i = 0; i < a.length; i++) a[i] = Math.random() * 256; }
    for (i = 0; i < a.length; i++) s += (a[i] < 16 ? '0' : '') + a[i].toString(16);
    return s;
  }

  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = P + cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // safeUrl resolves u against the page and keeps it only if it is http(s): a response can
  // never turn a link into javascript:.
  function safeUrl(u) {
    try {
      var x = new URL(u, location.href);
      return /^https?:$/.test(x.protocol) ? x.href : '';
    } catch (e) {
      return '';
    }
  }

  function shopRoot() {
    var s = w.Shopify;
    return (s && s.routes && s.routes.root) || '/';
  }

  // beacon posts events as text/plain, which sendBeacon uses and which needs no CORS preflight;
  // the server caps a batch at 20.
  function send(box, type, items) {
    var url = box.dataset.events, evs = [], i, body;
    if (!url) return;
    for (i = 0; i < items.length; i++) evs.push({ type: type, token: items[i].token });
    for (i = 0; i < evs.length; i += 20) {
      body = JSON.stringify({ view: view, events: evs.slice(i, i + 20) });
      try {
        if (navigator.sendBeacon && navigator.sendBeacon(url, body)) continue;
      } catch (e) { /* fall through to fetch */ }
      try {
        fetch(url, { method: 'POST', body: body, keepalive: true, headers: { 'Content-Type': 'text/plain' } }).catch(noop);
      } catch (e) { /* events are best effort */ }
    }
  }

  function post(url, type, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': type, Accept: 'application/json' },
      body: body
    }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }

  function price(p, ds) {
    if (!p || p.amount == null) return '';
    var cur = p.currency || ds.currency;
    try {
      // A string amount keeps its exact decimals where Intl supports it (and is converted elsewhere).
      return new Intl.NumberFormat(ds.locale || d.documentElement.lang || undefined, { style: 'currency', currency: cur }).format(p.amount);
    } catch (e) {
      return p.formatted || p.amount + (cur ? ' ' + cur : '');
    }
  }

  function link(ds, it) {
    var u = it.url || '';
    if (ds.productHref) u = ds.productHref.split('{id}').join(encodeURIComponent(it.product_id || ''));
    else if (ds.platform === 'shopify' && u.charAt(0) === '/') u = shopRoot() + u.slice(1);
    return u && safeUrl(u);
  }

  function cartRequest(ds, id) {
    var p = ds.platform, wp = w.wc_add_to_cart_params;
    if (p === 'shopify') {
      return post(ds.cartEndpoint || shopRoot() + 'cart/add.js', 'application/json',
        JSON.stringify({ items: [{ id: +id, quantity: 1 }] }));
    }
    if (p === 'woocommerce') {
      // WooCommerce takes a variation's own id as product_id and finds its parent itself.
      return post(ds.cartEndpoint || (wp && wp.wc_ajax_url ? wp.wc_ajax_url.replace('%%endpoint%%', 'add_to_cart') : '/?wc-ajax=add_to_cart'),
        'application/x-www-form-urlencoded', new URLSearchParams({ product_id: id, quantity: 1 }).toString());
    }
    return post(ds.cartEndpoint, 'application/json', JSON.stringify({ variant_id: id, quantity: 1 }));
  }

  function add(box, it, b, status, href) {
    var ds = box.dataset, v = String(it.variant_id || '');
    b.disabled = true;
    cartRequest(ds, v && v !== '0' ? v : String(it.product_id)).then(function (j) {
      if (j && j.error) throw new Error('cart'); // WooCommerce: 200 {error, product_url} when options are needed
      send(box, 'add_to_cart', [it]);
      b.disabled = false;
      b.textContent = ds.addedLabel || 'Added';
      status.textContent = b.textContent + ': ' + it.title;
      box.dispatchEvent(new CustomEvent('ritorno:added', {
        bubbles: true,
        detail: { product_id: it.product_id, variant_id: it.variant_id, cart: j }
      }));
      if (ds.platform === 'woocommerce' && w.jQuery && j && j.fragments) {
        w.jQuery(d.body).trigger('added_to_cart', [j.fragments, j.cart_hash]); // refreshes the mini-cart
      }
    }).catch(function () {
      b.disabled = false;
      // The product needs a choice (size, colour) or is sold out: its own page says which.
      if (href) location.href = href;
    });
  }

  function item(box, it, status) {
    var ds = box.dataset, li = el('li', 'item'), href = link(ds, it), src = it.image_url && safeUrl(it.image_url);
    var a = el(href ? 'a' : 'span', 'link'), img, pr, b;
    if (href) {
      a.href = href;
      a.addEventListener('click', function () { send(box, 'click', [it]); });
    }
    if (src) {
      img = el('img', 'img');
      img.src = src;
      img.alt = ''; // the title beside it, inside the same link, already names the product
      img.loading = 'lazy';
      img.decoding = 'async';
      img.width = img.height = 300;
    } else {
      img = el('span', 'img'); // an empty frame keeps the row even
    }
    a.appendChild(img);
    a.appendChild(el('span', 'title', it.title));
    li.appendChild(a);
    if (it.reason) li.appendChild(el('p', 'reason', it.reason));
    pr = price(it.price, ds);
    if (pr) li.appendChild(el('p', 'price', pr));
    if (it.variant_id || it.product_id) {
      b = el('button', 'add', ds.addLabel || 'Add to cart');
      b.type = 'button';
      b.setAttribute('aria-label', b.textContent + ': ' + it.title);
      b.addEventListener('click', function () { add(box, it, b, status, href); });
      li.appendChild(b);
    }
    return li;
  }

  // empty leaves nothing visible. A box the shopper can see or has scrolled past keeps its
  // reserved space, since collapsing it would move the page (a layout shift); a box still
  // below the fold collapses, which moves nothing on screen.
  function empty(box) {
    box.textContent = '';
    box.dataset.ritornoState = 'empty';
    if (box.getBoundingClientRect().top >= (w.innerHeight || d.documentElement.clientHeight)) box.hidden = true;
  }

  function watch(box, list, items) {
    var io;
    if (!w.IntersectionObserver) return send(box, 'impression', items);
    io = new IntersectionObserver(function (es) {
      for (var i = 0; i < es.length; i++) {
        if (es[i].isIntersecting && es[i].intersectionRatio >= 0.49) {
          io.disconnect();
          return send(box, 'impression', items);
        }
      }
    }, { threshold: 0.5 });
    io.observe(list);
  }

  function render(box, items) {
    var ds = box.dataset, limit = +ds.limit || 4, list, head, status, id, i, f;
    items = (Array.isArray(items) ? items : []).filter(function (it) {
      return it && typeof it.title === 'string' && it.title && it.token;
    }).slice(0, limit);
    if (!items.length) return empty(box);
    f = d.createDocumentFragment();
    list = el('ul', 'list');
    if (ds.heading) {
      id = 'ritorno-recs-' + ++seq;
      head = el('h2', 'heading', ds.heading);
      head.id = id;
      list.setAttribute('aria-labelledby', id);
      f.appendChild(head);
    }
    status = el('p', 'status');
    status.setAttribute('role', 'status');
    for (i = 0; i < items.length; i++) list.appendChild(item(box, items[i], status));
    f.appendChild(list);
    f.appendChild(status);
    box.textContent = '';
    box.appendChild(f);
    ds.ritornoState = 'ready';
    watch(box, list, items);
  }

  function load(box) {
    var ds = box.dataset, u, q, h = { Accept: 'application/json' };
    if (ds.ritornoState) return; // one widget per container, however often init runs
    ds.ritornoState = 'loading';
    try {
      u = new URL(ds.endpoint, location.href);
    } catch (e) {
      return empty(box);
    }
    q = u.searchParams;
    q.set('placement', ds.placement || 'product');
    if (ds.productId) q.set('product_id', ds.productId);
    if (ds.cart) q.set('cart', ds.cart);
    q.set('limit', ds.limit || '4');
    if (ds.identity) h['X-Ritorno-Identity'] = ds.identity; // a header keeps the token out of URLs and logs
    fetch(u.href, { headers: h, credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (j) {
      render(box, j && j.items);
    }).catch(function () {
      empty(box);
    });
  }

  function init(root) {
    var boxes = (root && root.querySelectorAll ? root : d).querySelectorAll('.ritorno-recs');
    for (var i = 0; i < boxes.length; i++) load(boxes[i]);
  }

  w.Ritorno = { init: init };
  d.addEventListener('shopify:section:load', function (e) { init(e.target); }); // theme editor
  if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', function () { init(); });
  else init();
})(window, document);
