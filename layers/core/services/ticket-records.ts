// Tickets' record ↔ view conversion lives with their storage (store/tickets.ts).
export { toRoutedTicket, toTicketView } from "../store/tickets.js";
