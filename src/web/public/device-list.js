/*
 * The device list, one factory for both portals (views/partials/device-list.html is its template).
 * `data-portal="merchant"` acts on the user's own merchant; `data-portal="admin"` on the merchant in the URL.
 * Live updates come from the Socket.IO /dashboard namespace; the one-time pairing secret (token and QR) is kept
 * only while its dialog is open.
 */
(function () {
  var api = TH.api;
  var t = function (key, params) {
    return Alpine.store('i18n').t(key, params);
  };

  /** Status of the badge: `expiring` is an active device inside the warning window. */
  function badgeOf(d) {
    return d.status === 'active' && d.expiring_soon ? 'expiring' : d.status;
  }

  function newestFirst(a, b) {
    return b.created_at < a.created_at ? -1 : b.created_at > a.created_at ? 1 : b.id - a.id;
  }

  var LIVE_EVENTS = [
    'device:paired',
    'device:updated',
    'device:revoked',
    'device:online',
    'device:offline',
    'device:expiring',
  ];
  var SESSION_ERRORS = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'TOKEN_EXPIRED'];

  document.addEventListener('alpine:init', function () {
    Alpine.data('deviceList', function () {
      // Not reactive state: the socket and the timer stay out of Alpine's proxies.
      var socket = null;
      var noticeTimer = null;

      return {
        portal: 'merchant',
        base: '/api/v1/merchants/loyalty/devices',
        merchantId: null,
        merchantName: '',
        stores: [],
        devices: [],
        total: 0,
        loading: true,
        error: '',
        notice: '',
        live: 'connecting',
        filter: { store: '', status: '' },
        pair: { store_id: '', label: '', error: '', labelError: '', busy: false },
        /** {reissued, label, store_code, token, qr, expires_at, copied} while the secret dialog is open, else null. */
        secret: null,
        /** {action: 'revoke'|'reissue', id, label, reason, busy, error} while the confirmation is open, else null. */
        confirm: null,
        editing: { id: null, label: '', error: '', busy: false },

        init: function () {
          if (!TH.session.token()) return;
          this.portal = this.$el.dataset.portal;
          if (this.portal === 'admin') {
            var m = /^\/admin\/merchants\/(\d+)\//.exec(location.pathname);
            this.merchantId = Number(m[1]);
            this.base = `/api/v1/admin/merchants/${this.merchantId}/loyalty/devices`;
          }
          this.loadContext();
          this.reload();
          this.connect();
        },

        destroy: function () {
          if (socket) socket.close();
        },

        // --- data ------------------------------------------------------------------------------------------------
        loadContext: function () {
          var self = this;
          var stores =
            this.portal === 'admin' ? `/api/v1/admin/merchants/${this.merchantId}/stores` : '/api/v1/merchants/stores';
          if (this.portal === 'admin') {
            api('GET', `/api/v1/admin/merchants/${this.merchantId}`)
              .then(function (res) {
                self.merchantName = res.merchant.name;
              })
              .catch(function (err) {
                self.error = TH.errorText(err);
              });
          }
          api('GET', stores)
            .then(function (res) {
              self.stores = res.items;
            })
            .catch(function (err) {
              self.error = TH.errorText(err);
            });
        },

        /** The list from the server, with the store and status filters (expiring soon is an active device). */
        reload: function () {
          var self = this;
          var q = new URLSearchParams({ limit: '500' });
          if (this.filter.store) q.set('store_id', this.filter.store);
          if (this.filter.status) q.set('status', this.filter.status === 'expiring' ? 'active' : this.filter.status);
          this.loading = true;
          return api('GET', `${this.base}?${q}`)
            .then(function (res) {
              self.devices = res.items;
              self.total = res.total;
              self.error = '';
            })
            .catch(function (err) {
              self.error = TH.errorText(err);
            })
            .finally(function () {
              self.loading = false;
            });
        },

        /**
         * Adds or replaces a device by id. Answers to our own calls and live events may arrive in any order: while the
         * live feed is up it alone decides `online` (an answer's presence may be older than the feed's last word).
         */
        upsert: function (device, fromAnswer) {
          if (this.merchantId !== null && device.merchant_id !== this.merchantId) return;
          var i = this.devices.findIndex(function (d) {
            return d.id === device.id;
          });
          if (i >= 0 && fromAnswer && this.live === 'on')
            device = Object.assign({}, device, { online: this.devices[i].online });
          if (i >= 0) this.devices.splice(i, 1, device);
          else {
            this.devices.push(device);
            this.devices.sort(newestFirst);
            this.total += 1;
          }
        },

        matches: function (d) {
          if (this.filter.store && String(d.store_id) !== this.filter.store) return false;
          if (this.filter.status === 'expiring') return badgeOf(d) === 'expiring';
          return !this.filter.status || d.status === this.filter.status;
        },

        shown: function () {
          return this.devices.filter(this.matches.bind(this));
        },

        isFiltered: function () {
          return Boolean(this.filter.store || this.filter.status);
        },

        isEmpty: function () {
          return !this.loading && !this.error && this.shown().length === 0;
        },

        canPair: function () {
          return this.stores.length > 0;
        },

        badge: badgeOf,

        storeName: function (d) {
          var s = this.stores.find(function (x) {
            return x.id === d.store_id;
          });
          return s ? s.name : '';
        },

        /** A connected device is being seen right now, whatever the last write of last_seen_at says. */
        lastSeen: function (d) {
          return d.online ? new Date(Alpine.store('clock').now).toISOString() : d.last_seen_at;
        },

        storeText: function (s) {
          return `${s.name} · ${s.code}`;
        },

        say: function (text) {
          var self = this;
          this.notice = text;
          clearTimeout(noticeTimer);
          noticeTimer = setTimeout(function () {
            self.notice = '';
          }, 4000);
        },

        // --- live ------------------------------------------------------------------------------------------------
        connect: function () {
          var self = this;
          if (typeof window.io !== 'function') {
            this.live = 'off';
            return;
          }
          var lost = false;
          var retry = null;
          var dropped = function () {
            lost = true;
            self.live = 'lost';
          };
          socket = window.io('/dashboard', {
            auth: function (cb) {
              cb({ token: TH.session.token() });
            },
          });
          socket.on('connect', function () {
            var ready = self.portal === 'admin' ? self.subscribe() : Promise.resolve();
            ready.then(function () {
              self.live = 'on';
              // Events sent while we were away are lost: catch up from the REST list.
              if (lost) self.reload();
              lost = false;
            });
          });
          socket.on('disconnect', function (reason) {
            if (reason === 'io client disconnect') return;
            dropped();
            // The client reconnects by itself, except when the server closed the socket (a restart, say).
            if (reason === 'io server disconnect') {
              clearTimeout(retry);
              retry = setTimeout(
                function () {
                  socket.connect();
                },
                1000 + Math.random() * 2000,
              );
            }
          });
          socket.on('connect_error', function (err) {
            if (SESSION_ERRORS.indexOf(err?.message) >= 0) return TH.toLogin();
            dropped();
          });
          socket.on('expired', function () {
            TH.toLogin();
          });
          LIVE_EVENTS.forEach(function (name) {
            socket.on(name, function (payload) {
              self.upsert(payload.device);
            });
          });
        },

        /** Admins watch one merchant: the server acknowledges with the list, or an error. */
        subscribe: function () {
          var self = this;
          return new Promise(function (resolve) {
            socket.emit('subscribe', { merchant_id: self.merchantId }, function (ack) {
              if (ack?.error) self.error = ack.error.message;
              resolve();
            });
          });
        },

        // --- dialogs ---------------------------------------------------------------------------------------------
        openDialog: function (ref, focusId) {
          var self = this;
          this.$nextTick(function () {
            self.$refs[ref].showModal();
            var el = focusId && document.getElementById(focusId);
            if (el) el.focus();
          });
        },

        /**
         * Closes a dialog and forgets what it showed first. The dialog's `close` event fires later, in a task of its
         * own: until then the secret would still be in the state and the DOM of a dialog already hidden.
         */
        closeDialog: function (ref) {
          if (ref === 'secretDialog') this.forgetSecret();
          if (ref === 'confirmDialog') this.onConfirmClosed();
          this.$refs[ref].close();
        },

        openPair: function () {
          this.pair = {
            store_id: this.filter.store || String(this.stores[0].id),
            label: '',
            error: '',
            labelError: '',
            busy: false,
          };
          this.openDialog('pairDialog', 'pair-label');
        },

        onPairClosed: function () {
          this.pair.busy = false;
        },

        submitPair: function () {
          var self = this;
          var label = this.pair.label.trim();
          this.pair.error = '';
          this.pair.labelError = label ? '' : t('page.devices.pair.label_invalid');
          if (!label) return document.getElementById('pair-label').focus();
          this.pair.busy = true;
          api('POST', this.base, { store_id: Number(this.pair.store_id), label: label })
            .then(function (res) {
              self.upsert(res.device, true);
              self.closeDialog('pairDialog');
              self.showSecret(res, false);
            })
            .catch(function (err) {
              self.pair.error = TH.errorText(err);
              if (err.fields?.label) self.pair.labelError = t('page.devices.pair.label_invalid');
            })
            .finally(function () {
              self.pair.busy = false;
            });
        },

        /** The token and QR of a pairing or reissue answer, shown once. */
        showSecret: function (res, reissued) {
          this.secret = {
            reissued: reissued,
            label: res.device.label,
            store_code: res.device.store_code,
            token: res.pairing.auth_token,
            qr: `data:image/png;base64,${res.pairing.qr.png_base64}`,
            expires_at: res.pairing.expires_at,
            copied: false,
          };
          this.openDialog('secretDialog', 'secret-copy');
        },

        /**
         * However the dialog closes, the token and QR leave the state at once and x-if drops their DOM: the buttons go
         * through closeDialog, Escape fires `cancel` before closing, and `close` catches any other way.
         */
        forgetSecret: function () {
          this.secret = null;
        },

        copyToken: function () {
          var self = this;
          var secret = this.secret;
          navigator.clipboard
            .writeText(secret.token)
            .then(function () {
              secret.copied = true;
            })
            .catch(function () {
              var field = document.getElementById('secret-token');
              field.focus();
              field.select();
              self.say(t('page.devices.secret.copy_manually'));
            });
        },

        askRevoke: function (d) {
          this.confirm = { action: 'revoke', id: d.id, label: d.label, reason: '', busy: false, error: '' };
          this.openDialog('confirmDialog', 'revoke-reason');
        },

        askReissue: function (d) {
          this.confirm = { action: 'reissue', id: d.id, label: d.label, reason: '', busy: false, error: '' };
          this.openDialog('confirmDialog');
        },

        onConfirmClosed: function () {
          this.confirm = null;
        },

        runConfirm: function () {
          var self = this;
          var c = this.confirm;
          c.busy = true;
          c.error = '';
          var call =
            c.action === 'revoke'
              ? api('POST', `${this.base}/${c.id}/revoke`, c.reason.trim() ? { reason: c.reason.trim() } : {})
              : api('POST', `${this.base}/${c.id}/reissue`);
          call
            .then(function (res) {
              self.upsert(res.device, true);
              self.closeDialog('confirmDialog');
              if (c.action === 'reissue') self.showSecret(res, true);
              else self.say(t('page.devices.notice.revoked', { label: res.device.label }));
            })
            .catch(function (err) {
              c.error = TH.errorText(err);
              c.busy = false;
            });
        },

        // --- inline rename ---------------------------------------------------------------------------------------
        startRename: function (d) {
          this.editing = { id: d.id, label: d.label, error: '', busy: false };
          this.$nextTick(function () {
            var input = document.getElementById(`rename-${d.id}`);
            input.focus();
            input.select();
          });
        },

        cancelRename: function () {
          var id = this.editing.id;
          this.editing = { id: null, label: '', error: '', busy: false };
          this.$nextTick(function () {
            var row = document.querySelector(`tr[data-device-id="${id}"] button`);
            if (row) row.focus();
          });
        },

        saveRename: function () {
          var self = this;
          var e = this.editing;
          var label = e.label.trim();
          if (!label) {
            e.error = t('page.devices.pair.label_invalid');
            return;
          }
          e.busy = true;
          api('PATCH', `${this.base}/${e.id}`, { label: label })
            .then(function (res) {
              self.upsert(res.device, true);
              self.cancelRename();
              self.say(t('page.devices.notice.renamed', { label: res.device.label }));
            })
            .catch(function (err) {
              e.error = err.fields?.label ? t('page.devices.pair.label_invalid') : TH.errorText(err);
              e.busy = false;
            });
        },
      };
    });
  });
})();
