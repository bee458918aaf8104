// @ts-check
/*
 * The admin's pages about merchants: the picker with its "New merchant" form (/admin/merchants), and one merchant's
 * stores and users with a form to add each (/admin/merchants/{id}). Validation errors of the API are shown per field.
 */
/** @import { Merchant, MerchantList, Store, StoreList, User, UserList } from '../../wire' */
import { api, errorText, focusById, t } from './core.js';
import { form, invalid, send } from './forms.js';

const ADMIN = '/api/v1/admin/merchants';

/** The merchant id of the page's URL (`/admin/merchants/{id}`). */
const merchantIdOfPage = () => Number(/^\/admin\/merchants\/(\d+)/.exec(location.pathname)?.[1]);

document.addEventListener('alpine:init', () => {
  Alpine.data('merchantPicker', () => ({
    /** @type {Merchant[]} */
    merchants: [],
    search: '',
    loading: true,
    error: '',
    creating: false,
    create: form({ name: '' }),

    async init() {
      try {
        this.merchants = /** @type {MerchantList} */ (await api('GET', `${ADMIN}?limit=500`)).items;
      } catch (err) {
        this.error = errorText(err);
      } finally {
        this.loading = false;
      }
    },

    shown() {
      const q = this.search.trim().toLowerCase();
      return this.merchants.filter((m) => !q || m.name.toLowerCase().includes(q));
    },

    isEmpty() {
      return !this.loading && !this.error && this.shown().length === 0;
    },

    /** @param {Merchant} m */
    devicesUrl(m) {
      return `/admin/merchants/${m.id}/loyalty/devices`;
    },

    /** @param {Merchant} m */
    merchantUrl(m) {
      return `/admin/merchants/${m.id}`;
    },

    openCreate() {
      this.creating = true;
      this.create = form({ name: '' });
      this.$nextTick(() => focusById('new-merchant-name'));
    },

    /** Back to the button that opened the form. */
    closeCreate() {
      this.creating = false;
      this.$nextTick(() => focusById('new-merchant-button'));
    },

    /** @param {string} name */
    invalid(name) {
      return invalid(this.create, name);
    },

    /** A new merchant's page is where its stores and users are added: go there. */
    async submitCreate() {
      const f = this.create;
      const res = await send(
        f,
        async () => /** @type {{ merchant: Merchant }} */ (await api('POST', ADMIN, { name: f.values.name })),
        { name: 'new-merchant-name' },
      );
      if (res) location.assign(this.merchantUrl(res.merchant));
    },
  }));

  Alpine.data('merchantAdmin', () => ({
    merchantId: merchantIdOfPage(),
    /** @type {Merchant | null} */
    merchant: null,
    /** @type {Store[]} */
    stores: [],
    /** @type {User[]} */
    users: [],
    usersTotal: 0,
    loading: true,
    error: '',
    notice: '',
    store: form({ name: '', code: '' }),
    user: form({ email: '', password: '', role: 'merchant', store_ids: /** @type {string[]} */ ([]) }),

    async init() {
      const base = `${ADMIN}/${this.merchantId}`;
      try {
        const [m, stores, users] = await Promise.all([
          api('GET', base),
          api('GET', `${base}/stores`),
          api('GET', `${base}/users?limit=500`),
        ]);
        this.merchant = /** @type {{ merchant: Merchant }} */ (m).merchant;
        this.stores = /** @type {StoreList} */ (stores).items;
        const list = /** @type {UserList} */ (users);
        this.users = list.items;
        this.usersTotal = list.total;
      } catch (err) {
        this.error = errorText(err);
      } finally {
        this.loading = false;
      }
    },

    name() {
      return this.merchant?.name ?? '';
    },

    devicesUrl() {
      return `/admin/merchants/${this.merchantId}/loyalty/devices`;
    },

    /** @param {'store' | 'user'} which @param {string} name */
    invalid(which, name) {
      return invalid(this[which], name);
    },

    async addStore() {
      const f = this.store;
      const res = await send(
        f,
        async () =>
          /** @type {{ store: Store }} */ (
            await api('POST', `${ADMIN}/${this.merchantId}/stores`, { name: f.values.name, code: f.values.code })
          ),
        { name: 'new-store-name', code: 'new-store-code' },
      );
      if (!res) return;
      this.stores.push(res.store);
      this.store = form({ name: '', code: '' });
      this.notice = t('page.merchant.stores.added', { name: res.store.name, code: res.store.code });
      focusById('new-store-name');
    },

    isStaff() {
      return this.user.values.role === 'store_staff';
    },

    async addUser() {
      const f = this.user;
      const { email, password, role } = f.values;
      const body =
        role === 'store_staff'
          ? { email, password, role, store_ids: f.values.store_ids.map(Number) }
          : { email, password, role };
      const res = await send(
        f,
        async () => /** @type {{ user: User }} */ (await api('POST', `${ADMIN}/${this.merchantId}/users`, body)),
        { email: 'new-user-email', password: 'new-user-password', role: 'new-user-role', store_ids: 'new-user-stores' },
      );
      if (!res) return;
      this.users.push(res.user);
      this.usersTotal += 1;
      this.user = form({ email: '', password: '', role: 'merchant', store_ids: [] });
      this.notice = t('page.merchant.users.added', { email: res.user.email });
      focusById('new-user-email');
    },

    /** The codes of a store_staff user's stores, or "All stores" for a merchant user. @param {User} u */
    userStores(u) {
      if (!('store_ids' in u) || !u.store_ids) return t('page.merchant.users.all_stores');
      return u.store_ids.map((id) => this.stores.find((s) => s.id === id)?.code ?? `#${id}`).join(', ');
    },

    /** @param {User} u */
    roleText(u) {
      return u.role === 'store_staff' ? t('page.merchant.role.store_staff') : t('page.merchant.role.merchant');
    },
  }));
});
